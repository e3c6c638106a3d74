// Command knapp runs the knapp manager against the cluster of the current
// kubeconfig or the in-cluster service account: the App controller, the
// admission webhooks (pod logs, App validation and defaulting) and the
// build hook API.
package main

import (
	"flag"
	"fmt"
	"os"
	// Schedules name IANA time zones; knapp validates them with its own
	// copy of the zone database, so a minimal image without one still can.
	_ "time/tzdata"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	istiov1 "istio.io/client-go/pkg/apis/networking/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/pkg/analysis"
	"knapp.dev/knapp/pkg/hookapi"
	knappmetrics "knapp.dev/knapp/pkg/metrics"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "knapp:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		metricsAddr, probeAddr, hookAddr, platformConfig string
		leaderElectionNamespace                          string
		leaderElect                                      bool
		concurrentReconciles                             int
		hookMaxConcurrent, hookBuildsPerMinute           int
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "Address of the Prometheus metrics endpoint; 0 turns it off.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz endpoints; 0 turns them off.")
	flag.StringVar(&hookAddr, "hook-bind-address", ":8082", "Address of the build hook API (POST /hooks/v1/namespaces/{namespace}/apps/{name}/builds); 0 turns it off.")
	flag.IntVar(&hookMaxConcurrent, "hook-max-concurrent", hookapi.DefaultMaxConcurrent, "How many build hook requests are handled at once; more are answered 503 with Retry-After: 1, their bodies unread.")
	flag.IntVar(&hookBuildsPerMinute, "hook-builds-per-minute", hookapi.DefaultBuildsPerMinute, "How many builds an App may start a minute through the build hook API (bursts of 3); more are answered 429 with Retry-After.")
	flag.StringVar(&platformConfig, "platform-config", "", "YAML file with the platform's settings (cluster name, domain suffix, environments); built-in defaults when empty.")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader, so that only one of several replicas reconciles.")
	// In a cluster the Lease goes to the pod's own namespace; out of one
	// (a local control plane) there is none to find, so it must be named.
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election Lease; empty: the namespace knapp runs in (in a cluster only).")
	flag.IntVar(&concurrentReconciles, "concurrent-reconciles", app.DefaultConcurrentReconciles, "How many Apps are reconciled at once (one App never twice at once).")
	var webhooks webhookFlags
	webhooks.bind(flag.CommandLine)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	cfg := platform.Default()
	if platformConfig != "" {
		var err error
		if cfg, err = platform.Load(platformConfig); err != nil {
			return err
		}
	}
	if err := resources.ValidateEnvironments(cfg); err != nil {
		return fmt.Errorf("platform config %s: %w", platformConfig, err)
	}

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, servingv1.AddToScheme, istiov1.AddToScheme, wfv1.AddToScheme, resources.AddPingSourceToScheme} {
		if err := add(scheme); err != nil {
			return err
		}
	}

	restConfig, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("finding the cluster (use --kubeconfig or KUBECONFIG): %w", err)
	}
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   app.CacheOptions(cfg),
		Metrics:                 metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:  probeAddr,
		WebhookServer:           webhook.NewServer(webhooks.serverOptions()),
		LeaderElection:          leaderElect,
		LeaderElectionID:        "knapp.knapp.dev",
		LeaderElectionNamespace: leaderElectionNamespace,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if concurrentReconciles < 1 {
		return fmt.Errorf("--concurrent-reconciles %d: want at least 1", concurrentReconciles)
	}
	if hookMaxConcurrent < 1 || hookBuildsPerMinute < 1 {
		return fmt.Errorf("--hook-max-concurrent %d, --hook-builds-per-minute %d: want at least 1 each", hookMaxConcurrent, hookBuildsPerMinute)
	}
	prometheus, err := analysis.New(cfg.Analysis)
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	reconciler := &app.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("knapp"),
		Platform:  cfg,
		Metrics:   prometheus,

		ConcurrentReconciles: concurrentReconciles,
	}
	if err := reconciler.SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("setting up the App controller: %w", err)
	}
	// Served on the manager's metrics endpoint with controller-runtime's own.
	if err := knappmetrics.Register(ctrlmetrics.Registry, mgr.GetCache()); err != nil {
		return fmt.Errorf("registering knapp's metrics: %w", err)
	}
	if err := setupWebhooks(mgr, &webhooks, cfg); err != nil {
		return err
	}
	if hookAddr != "0" {
		hooks := hookapi.NewHandler(app.NewHookBuilds(reconciler), hookapi.Options{
			MaxConcurrent:   hookMaxConcurrent,
			BuildsPerMinute: hookBuildsPerMinute,
			Logger:          ctrl.Log.WithName("hooks"),
		})
		if err := mgr.Add(&hookapi.Server{Addr: hookAddr, Handler: hooks}); err != nil {
			return err
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	if webhooks.enabled {
		// Not ready until the webhook server answers TLS (with self-signed
		// certificates, once the kubelet mounted them): the webhook
		// Service sends admission requests only to ready pods.
		if err := mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
			return err
		}
	}
	ctrl.Log.WithName("setup").Info("starting knapp", "cluster", cfg.ClusterName, "domain", cfg.Domain())
	return mgr.Start(ctx)
}
