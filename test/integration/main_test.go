package integration

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/pkg/metrics"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/testenv"
)

// The suite shares one control plane and one running knapp manager; each
// test works in namespaces of its own.
var (
	env        *testenv.Env
	k8s        client.Client // the test's own client, not counted
	writes     = &writeLog{}
	recorder   *countingRecorder
	reconciler *app.Reconciler
	// metricsRegistry holds knapp's metrics as cmd/knapp registers them;
	// appCache is the manager's cache its Apps collector reads.
	metricsRegistry = prometheus.NewPedanticRegistry()
	appCache        client.Reader
)

func TestMain(m *testing.M) {
	if testenv.SkipSuite() {
		fmt.Println("skipping integration tests: KUBEBUILDER_ASSETS is not set (make test sets it)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	testenv.SetupLogging()
	var err error
	env, err = testenv.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}()
	k8s = env.Client

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, err := startManager(ctx, env.Config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting knapp:", err)
		return 1
	}
	code := m.Run()
	if !neverWroteAppSpec() {
		code = 1
	}
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "knapp stopped with:", err)
		return 1
	}
	return code
}

// startManager runs knapp's App controller as cmd/knapp does, with its
// client's writes counted.
func startManager(ctx context.Context, cfg *rest.Config) (<-chan error, error) {
	platformCfg := platform.Default()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 env.Scheme,
		Cache:                  app.CacheOptions(platformCfg),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		NewClient: func(cfg *rest.Config, opts client.Options) (client.Client, error) {
			c, err := client.New(cfg, opts)
			if err != nil {
				return nil, err
			}
			return countingClient{Client: c, log: writes}, nil
		},
	})
	if err != nil {
		return nil, err
	}
	recorder = &countingRecorder{EventRecorder: mgr.GetEventRecorder("knapp")}
	reconciler = &app.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: recorder, Platform: platformCfg}
	if err := reconciler.SetupWithManager(ctx, mgr); err != nil {
		return nil, err
	}
	appCache = mgr.GetCache()
	if err := metrics.Register(metricsRegistry, appCache); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the manager's cache did not sync")
	}
	return done, nil
}

// neverWroteAppSpec checks, after every test ran, that knapp wrote no App
// outside its status subresource: GitOps tools own the spec.
func neverWroteAppSpec() bool {
	ok := true
	for _, w := range writes.all() {
		if w.Kind == "App" && w.SubResource != "status" {
			fmt.Fprintln(os.Stderr, "FAIL: knapp wrote an App outside its status:", w)
			ok = false
		}
	}
	return ok
}
