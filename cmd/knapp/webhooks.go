package main

import (
	"flag"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/webhooks/serve"
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
	fs.StringVar(&f.secret, "webhook-secret", "knapp-system/knapp-webhook-cert", "namespace/name of the Secret that holds the self-signed certificates; it must exist (created empty), knapp fills and rotates it.")
	fs.StringVar(&f.serviceName, "webhook-service", "knapp-webhook.knapp-system.svc", "DNS name of the webhook Service, for the self-signed certificate.")
}

// webhookOptions are the manager's webhook server options.
func (f *webhookFlags) serverOptions() webhook.Options {
	return webhook.Options{Port: f.port, CertDir: f.certDir}
}

// setupWebhooks registers the webhooks (package serve).
func setupWebhooks(mgr ctrl.Manager, f *webhookFlags, cfg platform.Config) error {
	if !f.enabled {
		return nil
	}
	ns, name, ok := strings.Cut(f.secret, "/")
	if f.selfSigned && (!ok || ns == "" || name == "") {
		return fmt.Errorf("--webhook-secret %q: want namespace/name", f.secret)
	}
	return serve.Setup(mgr, serve.Options{
		CertDir:    f.certDir,
		SelfSigned: f.selfSigned,
		Secret:     types.NamespacedName{Namespace: ns, Name: name},
		ServiceDNS: f.serviceName,
		Platform:   cfg,
	}, nil)
}
