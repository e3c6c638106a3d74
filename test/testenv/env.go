package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"knapp.dev/knapp/test/reap"
)

// Env is a running control plane with knapp's, Knative's, Istio's and Argo
// Workflows' CRDs and Knative's admission webhook for Services.
type Env struct {
	// Config reaches the apiserver as an admin (system:masters).
	Config *rest.Config
	// Client is a client for Config with Scheme.
	Client client.Client
	// Scheme is NewScheme's.
	Scheme *runtime.Scheme

	env           *envtest.Environment
	webhookServer webhook.Server
	stopWebhook   func() error
}

// Option changes what Start starts.
type Option func(*envtest.Environment)

// WithWebhookConfigs also installs the webhook configurations in these YAML
// files (such as knapp's own in config/webhook). envtest points their
// services at the test's webhook server; register their handlers with
// Register before writing anything they admit.
func WithWebhookConfigs(paths ...string) Option {
	return func(e *envtest.Environment) {
		e.WebhookInstallOptions.Paths = append(e.WebhookInstallOptions.Paths, paths...)
	}
}

// Register serves an admission handler at path on the webhook server the
// apiserver calls over TLS.
func (e *Env) Register(path string, h http.Handler) {
	e.webhookServer.Register(path, h)
}

// Start starts etcd, kube-apiserver and the Knative webhook server, and
// installs the CRDs and webhook configurations. ctx bounds only the start;
// call Stop to end it all.
func Start(ctx context.Context, opts ...Option) (*Env, error) {
	assets, err := BinaryAssetsDir()
	if err != nil {
		return nil, err
	}
	crdPaths, err := CRDPaths()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	scheme := NewScheme()
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
		CRDInstallOptions: envtest.CRDInstallOptions{
			Paths:              crdPaths,
			ErrorIfPathMissing: true,
			// envtest waits 10 s by default for the 32 CRDs to be served; on
			// a shared two-core machine starting two control planes at once
			// (go test runs packages in parallel) that is too short.
			MaxTime: 2 * time.Minute,
		},
		// Each of etcd and kube-apiserver (also when TestAPIServerRestart
		// starts it again), on the same busy machine.
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
		// Start copies this over CRDInstallOptions.ErrorIfPathMissing.
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: knativeWebhookOptions(),
	}
	// envtest waits 10 s by default for the webhook configurations to be
	// readable; as long as for the CRDs, for the same reason.
	env.WebhookInstallOptions.MaxTime = 2 * time.Minute
	for _, o := range opts {
		o(env)
	}
	// etcd and kube-apiserver end with this process, however it ends
	// (envtest starts them in process groups of their own).
	if err := reap.Children(); err != nil {
		return nil, err
	}
	cfg, err := env.Start()
	if reapErr := reap.Children(); reapErr != nil {
		err = errors.Join(err, reapErr)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the control plane from %s: %w", assets, err), env.Stop())
	}
	// Tests poll; client-go's default rate limit (5 requests a second) would
	// make polling parallel tests wait on the client, not on the server.
	cfg.QPS, cfg.Burst = 500, 1000
	e := &Env{Config: cfg, Scheme: scheme, env: env}
	if e.webhookServer, e.stopWebhook, err = startWebhookServer(&env.WebhookInstallOptions); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	if e.Client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	return e, nil
}

// Stop stops the webhook server, kube-apiserver and etcd, and removes their
// temporary files.
func (e *Env) Stop() error {
	var errs []error
	if e.stopWebhook != nil {
		errs = append(errs, e.stopWebhook())
		e.stopWebhook = nil
	}
	if e.env != nil {
		errs = append(errs, e.env.Stop())
		e.env = nil
	}
	return errors.Join(errs...)
}

// AddUser provisions a user of the apiserver, such as one to write a
// kubeconfig for; base, if not nil, supplies settings like QPS.
func (e *Env) AddUser(user envtest.User, base *rest.Config) (*envtest.AuthenticatedUser, error) {
	return e.env.AddUser(user, base)
}

// KubectlPath is the kubectl next to the apiserver binary, matching its
// version.
func (e *Env) KubectlPath() string {
	return filepath.Join(e.env.BinaryAssetsDirectory, "kubectl")
}

// WebhookServingCert is the directory of the serving certificate (tls.crt,
// tls.key) that the apiserver trusts for the webhook server, and its CA:
// another local webhook server may serve with it too.
func (e *Env) WebhookServingCert() (dir string, caPEM []byte) {
	o := &e.env.WebhookInstallOptions
	return o.LocalServingCertDir, o.LocalServingCAData
}
