package main

import (
	"flag"
	"fmt"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/webhooks/appvalidation"
	"knapp.dev/knapp/webhooks/podlogs"
)

// webhookFlags configure the admission webhooks: the pod log injection and
// the App's validation and defaulting.
type webhookFlags struct {
	enabled     bool
	port        int
	certDir     string
	selfSigned  bool
	secret      string
	serviceName string
}

func (f *webhookFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&f.enabled, "enable-webhooks", true, "Serve the admission webhooks (pod logs, App validation and defaulting).")
	fs.IntVar(&f.port, "webhook-port", 9443, "Port of the webhook server.")
	fs.StringVar(&f.certDir, "webhook-cert-dir", "/tmp/k8s-webhook-server/serving-certs", "Directory with the webhook server's tls.crt and tls.key (mounted from cert-manager's Secret, or written by --webhook-self-signed).")
	fs.BoolVar(&f.selfSigned, "webhook-self-signed", false, "Without cert-manager: make and rotate a self-signed CA and serving certificate (open-policy-agent/cert-controller), kept in --webhook-secret, and patch the CA into knapp's webhook configurations.")
	fs.StringVar(&f.secret, "webhook-secret", "knapp-system/knapp-webhook-cert", "namespace/name of the Secret that holds the self-signed certificates.")
	fs.StringVar(&f.serviceName, "webhook-service", "knapp-webhook.knapp-system.svc", "DNS name of the webhook Service, for the self-signed certificate.")
}

// webhookOptions are the manager's webhook server options.
func (f *webhookFlags) serverOptions() webhook.Options {
	return webhook.Options{Port: f.port, CertDir: f.certDir}
}

// setupWebhooks registers the webhooks, after the self-signed certificates
// exist when knapp makes them itself.
func setupWebhooks(mgr ctrl.Manager, f *webhookFlags, logRoot string) error {
	if !f.enabled {
		return nil
	}
	register := func() {
		server := mgr.GetWebhookServer()
		server.Register(podlogs.Path, &admission.Webhook{Handler: &podlogs.Handler{
			Apps:    podlogs.ClientApps{Reader: mgr.GetClient()},
			Config:  podlogs.Config{LogRoot: logRoot},
			Decoder: admission.NewDecoder(mgr.GetScheme()),
		}})
		appvalidation.Register(server, mgr.GetScheme())
	}
	if !f.selfSigned {
		register()
		return nil
	}
	ns, name, ok := splitKey(f.secret)
	if !ok {
		return fmt.Errorf("--webhook-secret %q: want namespace/name", f.secret)
	}
	ready := make(chan struct{})
	if err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:      types.NamespacedName{Namespace: ns, Name: name},
		CertDir:        f.certDir,
		CAName:         "knapp-webhook-ca",
		CAOrganization: "knapp",
		DNSName:        f.serviceName,
		IsReady:        ready,
		Webhooks: []rotator.WebhookInfo{
			{Name: "knapp-podlogs", Type: rotator.Mutating},
			{Name: "knapp-app-defaulting", Type: rotator.Mutating},
			{Name: "knapp-app-validation", Type: rotator.Validating},
		},
		// Every replica serves webhooks, so every replica needs the certificate.
		RequireLeaderElection: false,
	}); err != nil {
		return fmt.Errorf("setting up the webhook certificate rotation: %w", err)
	}
	go func() {
		<-ready
		register()
	}()
	return nil
}

func splitKey(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], i > 0 && i < len(s)-1
		}
	}
	return "", "", false
}
