// Command dev runs knapp against a local control plane, as `make dev` does
// through test/dev/run.sh: it starts the same apiserver, CRDs and Knative
// admission as the integration tests (test/testenv), writes a kubeconfig,
// runs Knative Serving's controller (so Knative Services get Revisions) and
// bin/knapp, applies config/samples and shows what knapp and Knative made of
// each sample App. With --once it exits after that, as a smoke test.
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

	"knapp.dev/knapp/test/stack"
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
	knativeBin := flag.String("knative-controller", "", "Knative Serving's controller binary to run (test/controlplane/knative.sh builds it); empty runs none, and Knative Services get no Revisions.")
	samples := flag.String("samples", filepath.Join(root, "config", "samples"), "Directory of sample YAML to apply.")
	timeout := flag.Duration("timeout", 2*time.Minute, "How long the sample Apps may take to converge.")
	knativeWait := flag.Duration("knative-wait", 0, "How long to wait for another make dev or test to stop the Knative controller it runs (one can run at a time); 0 fails at once, naming it.")
	flag.Parse()

	stack.Progress = step
	// The webhook server and envtest log through controller-runtime; only
	// their errors matter here.
	ctrllog.SetLogger(zap.New(zap.Level(zapcore.ErrorLevel)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	step("starting kube-apiserver, etcd and the Knative webhook")
	started := time.Now()
	// knapp's webhooks, as config/webhook configures them (webhooks.go).
	opts := []testenv.Option{testenv.WithWebhookConfigs(filepath.Join(root, "config", "webhook"))}
	if *knativeBin != "" {
		paths, err := testenv.KnativeControllerCRDPaths()
		if err != nil {
			return err
		}
		opts = append(opts, testenv.WithCRDPaths(paths...))
	}
	env, err := testenv.Start(ctx, opts...)
	if err != nil {
		return err
	}
	webhooks, err := stack.ProxyKnappWebhooks(env)
	if err != nil {
		return errors.Join(err, env.Stop())
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
	knappKubeconfig, err := writeServiceKubeconfig(env, "knapp", knappUser)
	if err != nil {
		return err
	}
	knativeKubeconfig, err := writeServiceKubeconfig(env, "knative-controller", knativeUser)
	if err != nil {
		return err
	}

	objs, err := readSamples(*samples)
	if err != nil {
		return err
	}
	if err := createNamespaces(ctx, env.Client, objs); err != nil {
		return err
	}

	// Knative's controller starts before knapp, so that it is up (or has
	// failed) by the time knapp writes the first Service.
	var procs []*stack.Process
	if *knativeBin != "" {
		if err := stack.ConfigureKnative(ctx, env.Client, fieldOwner, sampleImages(objs)); err != nil {
			return err
		}
		knative, err := startKnative(ctx, *knativeBin, knativeKubeconfig, *knativeWait)
		if err != nil {
			return err
		}
		defer knative.Stop()
		procs = append(procs, knative)
	}

	knapp, err := startKnapp(*knappBin, root, knappKubeconfig, webhooks.Args()...)
	if err != nil {
		return err
	}
	defer knapp.Stop()
	procs = append(procs, knapp)
	if err := webhooks.WaitUntilServing(ctx, knapp, 30*time.Second); err != nil {
		return err
	}
	if err := applyPlatform(ctx, env.Client, root); err != nil {
		return err
	}

	applied, applyErr := applySamples(ctx, env.Client, objs)

	apps := sampleApps(applied)
	step("waiting up to %s for knapp (and Knative) to reconcile %d sample App(s)", *timeout, len(apps))
	results, waitErr := waitForApps(ctx, env.Client, apps, *timeout, procs, *knativeBin != "")
	for _, r := range results {
		printApp(r, env.KubectlPath(), kubeconfig)
	}
	// Repeated last, where a smoke test's reader looks first.
	failed := errors.Join(applyErr, waitErr)
	if p := firstExited(procs); p != nil && waitErr == nil {
		failed = errors.Join(failed, p.ExitError())
	}
	if *once {
		if failed == nil {
			step("all %d sample App(s) converged", len(apps))
		}
		return failed
	}
	if failed != nil {
		fmt.Fprintln(os.Stderr, "\ndev:", failed)
	}
	printHints(kubeconfig, filepath.Dir(env.KubectlPath()), apps, procs)

	select {
	case <-ctx.Done():
	case p := <-anyExited(procs):
		fmt.Fprintf(os.Stderr, "\ndev: %v\n", p.ExitError())
		step("the control plane keeps running until Ctrl-C")
		<-ctx.Done()
	}
	return nil
}

// anyExited delivers the first of procs to exit.
func anyExited(procs []*stack.Process) <-chan *stack.Process {
	ch := make(chan *stack.Process, len(procs))
	for _, p := range procs {
		go func() {
			<-p.Exited()
			ch <- p
		}()
	}
	return ch
}

// step prints a progress line, set apart from knapp's prefixed logs.
func step(format string, args ...any) {
	fmt.Printf("==> "+format+"\n", args...)
}

// errNotConverged heads the error listing the Apps knapp did not get to.
var errNotConverged = errors.New("not every sample App converged")
