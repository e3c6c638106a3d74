// Package serve registers knapp's admission webhooks on the manager's
// webhook server, with their certificates from cert-manager (a mounted
// directory) or made and rotated by knapp itself (open-policy-agent's
// cert-controller), which then patches its CA into the webhook
// configurations.
package serve

import (
	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/webhooks/appvalidation"
	"knapp.dev/knapp/webhooks/podlogs"
)

// The names of knapp's webhook configurations (config/webhook).
const (
	PodLogsConfiguration       = "knapp-podlogs"
	AppDefaultingConfiguration = "knapp-app-defaulting"
	AppValidationConfiguration = "knapp-app-validation"
)

// Options say how the webhooks are served.
type Options struct {
	// CertDir holds tls.crt and tls.key.
	CertDir string
	// SelfSigned makes knapp make and rotate its certificates in Secret.
	SelfSigned bool
	// Secret keeps the self-signed CA and certificate.
	Secret types.NamespacedName
	// ServiceDNS is the webhook Service's DNS name, for the certificate.
	ServiceDNS string
	// Platform gives the node directory for pod logs and Knative Serving's
	// namespace, whose configuration Apps are checked under.
	Platform platform.Config
}

// Setup registers the webhooks on mgr's webhook server; with SelfSigned,
// once the rotator has written the certificates. ready, if not nil, is
// closed when they are registered.
func Setup(mgr ctrl.Manager, o Options, ready chan<- struct{}) error {
	register := func() {
		Register(mgr.GetWebhookServer(), mgr.GetClient(), mgr.GetScheme(), o.Platform)
		if ready != nil {
			close(ready)
		}
	}
	if !o.SelfSigned {
		register()
		return nil
	}
	certsReady := make(chan struct{})
	if err := rotator.AddRotator(mgr, Rotator(o, certsReady)); err != nil {
		return err
	}
	go func() {
		<-certsReady
		register()
	}()
	return nil
}

// Register serves knapp's three webhooks on server: the pod log injection
// and the App's validation and defaulting, reading Apps and Knative's
// config maps through reader (the manager's cache, narrowed as the
// reconciler's).
func Register(server appvalidation.Registrar, reader client.Reader, scheme *runtime.Scheme, cfg platform.Config) {
	server.Register(podlogs.Path, &admission.Webhook{Handler: &podlogs.Handler{
		Apps:    podlogs.ClientApps{Reader: reader},
		Config:  podlogs.Config{LogRoot: cfg.LogRoot},
		Decoder: admission.NewDecoder(scheme),
	}})
	appvalidation.Register(server, scheme, appvalidation.Validator{
		KnativeConfig: appvalidation.ClusterKnativeConfig(reader, cfg.KnativeServingNamespace),
		Platform:      cfg,
	})
}

// Rotator is the cert-controller rotator for knapp's webhooks.
func Rotator(o Options, ready chan struct{}) *rotator.CertRotator {
	return &rotator.CertRotator{
		SecretKey:      o.Secret,
		CertDir:        o.CertDir,
		CAName:         "knapp-webhook-ca",
		CAOrganization: "knapp",
		DNSName:        o.ServiceDNS,
		IsReady:        ready,
		Webhooks: []rotator.WebhookInfo{
			{Name: PodLogsConfiguration, Type: rotator.Mutating},
			{Name: AppDefaultingConfiguration, Type: rotator.Mutating},
			{Name: AppValidationConfiguration, Type: rotator.Validating},
		},
		// Every replica serves webhooks, so every replica needs the certificate.
		RequireLeaderElection: false,
	}
}
