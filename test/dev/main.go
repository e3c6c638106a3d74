// Command dev runs knapp against a local control plane, as `make dev` does
// through test/dev/run.sh: it starts the same apiserver, CRDs and Knative
// admission as the integration tests (test/testenv), writes a kubeconfig,
// runs bin/knapp, applies config/samples and shows what knapp made of each
// sample App. With --once it exits after that, as a smoke test.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"knapp.dev/knapp/test/testenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	once := flag.Bool("once", false, "Exit after the samples converged (or failed to), instead of running until interrupted.")
	knappBin := flag.String("knapp", filepath.Join(root, "bin", "knapp"), "The knapp binary to run.")
	samples := flag.String("samples", filepath.Join(root, "config", "samples"), "Directory of sample YAML to apply.")
	timeout := flag.Duration("timeout", 60*time.Second, "How long the sample Apps may take to converge.")
	flag.Parse()

	// The webhook server and envtest log through controller-runtime; only
	// their errors matter here.
	ctrllog.SetLogger(zap.New(zap.Level(zapcore.ErrorLevel)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	step("starting kube-apiserver, etcd and the Knative webhook")
	started := time.Now()
	env, err := testenv.Start(ctx)
	if err != nil {
		return err
	}
	defer func() {
		step("stopping the control plane")
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "dev: stopping the control plane:", err)
		}
	}()
	step("control plane up in %s", time.Since(started).Round(100*time.Millisecond))

	kubeconfig, err := writeKubeconfig(env)
	if err != nil {
		return err
	}
	fmt.Printf("\n    export KUBECONFIG=%s\n\n", kubeconfig)

	objs, err := readSamples(*samples)
	if err != nil {
		return err
	}
	if err := createNamespaces(ctx, env.Client, objs); err != nil {
		return err
	}

	knapp, err := startKnapp(*knappBin, root, kubeconfig)
	if err != nil {
		return err
	}
	defer knapp.stop()

	applied, applyErr := applySamples(ctx, env.Client, objs)

	apps := sampleApps(applied)
	step("waiting up to %s for knapp to reconcile %d sample App(s)", *timeout, len(apps))
	results, waitErr := waitForApps(ctx, env.Client, apps, *timeout, knapp.exited)
	for _, r := range results {
		printApp(r, env.KubectlPath(), kubeconfig)
	}
	// Repeated last, where a smoke test's reader looks first.
	failed := errors.Join(applyErr, waitErr)
	if *once {
		if failed == nil {
			step("all %d sample App(s) converged", len(apps))
		}
		return failed
	}
	if failed != nil {
		fmt.Fprintln(os.Stderr, "\ndev:", failed)
	}
	printHints(kubeconfig, filepath.Dir(env.KubectlPath()), apps)

	select {
	case <-ctx.Done():
	case <-knapp.exited:
		step("knapp exited (%v); the control plane keeps running until Ctrl-C", knapp.err())
		<-ctx.Done()
	}
	return nil
}

// step prints a progress line, set apart from knapp's prefixed logs.
func step(format string, args ...any) {
	fmt.Printf("==> "+format+"\n", args...)
}

// errNotConverged heads the error listing the Apps knapp did not get to.
var errNotConverged = errors.New("not every sample App converged")
