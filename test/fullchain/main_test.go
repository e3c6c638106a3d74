package fullchain

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/test/stack"
	"knapp.dev/knapp/test/testenv"
)

// fieldOwner applies Knative's configuration.
const fieldOwner = "knapp-fullchain-test"

// knativePortWait is how long to wait for another holder of Knative's
// controller port: the README test, which may run beside this one.
const knativePortWait = 15 * time.Minute

// nodeName is the fake node kwok runs the pods on.
const nodeName = "kwok-node-0"

// The whole stack is started once for the package.
var (
	env   *testenv.Env
	k8s   client.Client
	procs []*stack.Process
	// logDir holds each process's log, kept after a failed run.
	logDir string
)

func TestMain(m *testing.M) {
	if testenv.SkipSuite() {
		fmt.Println("skipping the full-chain test: KUBEBUILDER_ASSETS is not set (make test sets it)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	testenv.SetupLogging()
	started := time.Now()
	// Shown with -v or when the package fails: where the start-up time went.
	stack.Progress = func(format string, args ...any) {
		fmt.Printf("%6s "+format+"\n", append([]any{time.Since(started).Round(100 * time.Millisecond)}, args...)...)
	}
	stop, err := startChain(context.Background())
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the chain:", err)
	} else {
		fmt.Printf("full chain up in %s\n", time.Since(started).Round(100*time.Millisecond))
		code = m.Run()
	}
	stop()
	if logDir != "" {
		if code == 0 {
			_ = os.RemoveAll(logDir)
		} else {
			fmt.Fprintln(os.Stderr, "the logs of every process of the chain are kept in", logDir)
		}
	}
	return code
}

// startChain starts, in order: the control plane (without testenv's
// in-process Knative admission: Knative's webhook binary takes its
// place), Knative's config and webhook, kube-controller-manager,
// kube-scheduler, kwok and its node, Knative's controller, and knapp.
// stop stops whatever started, in reverse.
func startChain(ctx context.Context) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	started := func(p *stack.Process, err error) error {
		if err == nil {
			procs = append(procs, p)
			stops = append(stops, p.Stop)
		}
		return err
	}

	root, err := testenv.RepoRoot()
	if err != nil {
		return stop, err
	}
	assets, err := testenv.BinaryAssetsDir()
	if err != nil {
		return stop, err
	}
	knativeController, knativeWebhook, err := stack.KnativeBinaries()
	if err != nil {
		return stop, err
	}
	if logDir, err = logDirectory(); err != nil {
		return stop, err
	}
	// knapp as it ships, built from this checkout.
	binDir, err := os.MkdirTemp("", "knapp-fullchain-")
	if err != nil {
		return stop, err
	}
	stops = append(stops, func() { _ = os.RemoveAll(binDir) })
	knappBin := filepath.Join(binDir, "knapp")
	stack.Progress("building %s", knappBin)
	build := exec.Command("go", "build", "-o", knappBin, "./cmd/knapp")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return stop, fmt.Errorf("building knapp: %w", err)
	}

	stack.Progress("starting etcd and kube-apiserver")
	crds, err := testenv.KnativeControllerCRDPaths()
	if err != nil {
		return stop, err
	}
	env, err = testenv.Start(ctx,
		testenv.WithCRDPaths(crds...),
		testenv.WithWebhookConfigs(filepath.Join(root, "config", "webhook")),
		testenv.WithoutKnativeAdmission())
	if err != nil {
		return stop, err
	}
	stops = append(stops, func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	})
	k8s = env.Client
	webhooks, err := stack.ProxyKnappWebhooks(env)
	if err != nil {
		return stop, err
	}
	kubeconfigs := map[string]string{}
	for _, user := range []string{"admin", "knapp", "knative-controller", "knative-webhook"} {
		kubeconfigs[user] = filepath.Join(logDir, user+".kubeconfig")
		if err := stack.WriteKubeconfig(env, user, kubeconfigs[user]); err != nil {
			return stop, err
		}
	}
	logFile := func(name string) string { return filepath.Join(logDir, name+".log") }

	if err := stack.ConfigureKnative(ctx, k8s, fieldOwner, []string{image}); err != nil {
		return stop, err
	}
	webhookPort, err := stack.FreePort()
	if err != nil {
		return stop, err
	}
	if err := stack.InstallKnativeWebhook(ctx, k8s, webhookPort); err != nil {
		return stop, err
	}
	kwebhook, err := stack.StartKnativeWebhook(knativeWebhook, kubeconfigs["knative-webhook"], webhookPort, logFile("knative-webhook"))
	if err := started(kwebhook, err); err != nil {
		return stop, err
	}
	if err := started(stack.StartControllerManager(assets, kubeconfigs["admin"], nil, logFile("kube-controller-manager"))); err != nil {
		return stop, err
	}
	if err := started(stack.StartScheduler(assets, kubeconfigs["admin"], logFile("kube-scheduler"))); err != nil {
		return stop, err
	}
	if err := started(stack.StartKwok(assets, kubeconfigs["admin"], logFile("kwok"))); err != nil {
		return stop, err
	}
	if err := k8s.Create(ctx, stack.FakeNode(nodeName)); err != nil {
		return stop, err
	}
	// Knative's controller writes Configurations and Routes through
	// Knative's webhook (failurePolicy Fail), so the webhook comes first.
	stack.Progress("waiting for Knative's webhook")
	if err := stack.WaitForKnativeWebhook(ctx, k8s, kwebhook, "default", 2*time.Minute); err != nil {
		return stop, err
	}
	// The port of Knative's controller is fixed: a `make dev` or the README
	// test holding it is waited for (each takes a few minutes at most).
	if err := started(stack.StartKnativeController(ctx, knativeController, kubeconfigs["knative-controller"], logFile("knative-controller"), knativePortWait)); err != nil {
		return stop, err
	}
	knapp, err := stack.Knapp{
		Bin: knappBin, Dir: root, Kubeconfig: kubeconfigs["knapp"],
		Args: append([]string{"--metrics-bind-address=0", "--health-probe-bind-address=0", "--hook-bind-address=0"},
			webhooks.Args()...),
		LogFile: logFile("knapp"),
	}.Start()
	if err := started(knapp, err); err != nil {
		return stop, err
	}
	return stop, webhooks.WaitUntilServing(ctx, knapp, time.Minute)
}

// logDirectory is a fresh directory for this run's logs and kubeconfigs,
// in the cache so that it outlives a failed run for a look
// (a passing run removes it); one per run, as runs may overlap.
func logDirectory() (string, error) {
	cache, err := stack.CacheDir()
	if err != nil {
		return "", err
	}
	parent := filepath.Join(cache, "fullchain")
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", err
	}
	return os.MkdirTemp(parent, "run-")
}

// exited fails the test for any process of the stack that has ended.
func exited(t *testing.T) {
	t.Helper()
	for _, p := range procs {
		select {
		case <-p.Exited():
			t.Fatal(p.ExitError())
		default:
		}
	}
}
