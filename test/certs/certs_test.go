// Package certs tests knapp's self-managed webhook certificates against a
// real apiserver: cert-controller makes the CA and serving certificate,
// keeps them in a Secret, writes them for the webhook server and patches
// the CA into knapp's webhook configurations.
package certs

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/testenv"
	"knapp.dev/knapp/webhooks/serve"
)

func TestSelfSignedCertificatesArePatchedIntoTheWebhooks(t *testing.T) {
	if testenv.SkipSuite() {
		t.Skip("KUBEBUILDER_ASSETS is not set (make test sets it)")
	}
	testenv.SetupLogging()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, err := testenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	}()
	c := env.Client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "knapp-system"}}); err != nil {
		t.Fatal(err)
	}
	installWebhookConfigs(t, c)
	// cert-controller fills a Secret that exists (the chart creates it empty).
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "knapp-system", Name: "knapp-webhook-cert"}}); err != nil {
		t.Fatal(err)
	}

	certDir := t.TempDir()
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer:          webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: 0, CertDir: certDir}),
	})
	if err != nil {
		t.Fatal(err)
	}
	secret := types.NamespacedName{Namespace: "knapp-system", Name: "knapp-webhook-cert"}
	ready := make(chan struct{})
	if err := serve.Setup(mgr, serve.Options{
		CertDir: certDir, SelfSigned: true, Secret: secret,
		ServiceDNS: "knapp-webhook.knapp-system.svc", Platform: platform.Default(),
	}, ready); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()

	// The Secret gets a CA and a serving certificate for the Service's name.
	var data map[string][]byte
	poll(t, "the certificate Secret", func(ctx context.Context) error {
		s := &corev1.Secret{}
		if err := c.Get(ctx, secret, s); err != nil {
			return err
		}
		data = s.Data
		if len(data["ca.crt"]) == 0 || len(data["tls.crt"]) == 0 || len(data["tls.key"]) == 0 {
			return errors.New("ca.crt, tls.crt or tls.key missing")
		}
		return nil
	})
	ca := data["ca.crt"]
	// On a cluster the kubelet mounts that Secret at the cert directory;
	// here the test writes it, and the webhooks are registered only then.
	for _, key := range []string{"ca.crt", "tls.crt", "tls.key"} {
		if err := os.WriteFile(filepath.Join(certDir, key), data[key], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("the webhooks were not registered once the certificates were mounted")
	}
	served := data["tls.crt"]
	verifyServing(t, ca, served, "knapp-webhook.knapp-system.svc")

	// Each of knapp's webhook configurations trusts that CA.
	poll(t, "the CA in every webhook configuration", func(ctx context.Context) error {
		m := &admissionregistrationv1.MutatingWebhookConfigurationList{}
		v := &admissionregistrationv1.ValidatingWebhookConfigurationList{}
		if err := c.List(ctx, m); err != nil {
			return err
		}
		if err := c.List(ctx, v); err != nil {
			return err
		}
		var bundles = map[string][][]byte{}
		for _, w := range m.Items {
			for _, h := range w.Webhooks {
				bundles[w.Name] = append(bundles[w.Name], h.ClientConfig.CABundle)
			}
		}
		for _, w := range v.Items {
			for _, h := range w.Webhooks {
				bundles[w.Name] = append(bundles[w.Name], h.ClientConfig.CABundle)
			}
		}
		for _, name := range []string{serve.PodLogsConfiguration, serve.AppDefaultingConfiguration, serve.AppValidationConfiguration} {
			if len(bundles[name]) == 0 {
				return fmt.Errorf("%s: no webhooks", name)
			}
			for _, b := range bundles[name] {
				if string(b) != string(ca) {
					return fmt.Errorf("%s: caBundle is not the rotator's CA", name)
				}
			}
		}
		return nil
	})
}

// installWebhookConfigs creates knapp's webhook configurations as shipped.
func installWebhookConfigs(t *testing.T, c client.Client) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"podlogs.yaml", "appvalidation.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "config", "webhook", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range splitYAML(data) {
			var meta metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Kind == "" {
				continue
			}
			var obj client.Object
			switch meta.Kind {
			case "MutatingWebhookConfiguration":
				obj = &admissionregistrationv1.MutatingWebhookConfiguration{}
			case "ValidatingWebhookConfiguration":
				obj = &admissionregistrationv1.ValidatingWebhookConfiguration{}
			default:
				continue
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if err := c.Create(context.Background(), obj); err != nil {
				t.Fatalf("creating %s from %s: %v", obj.GetName(), file, err)
			}
		}
	}
}

func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i+4 <= len(data); i++ {
		if (i == 0 || data[i-1] == '\n') && string(data[i:i+3]) == "---" && (i+3 == len(data) || data[i+3] == '\n' || data[i+3] == '\r') {
			docs = append(docs, data[start:i])
			start = i + 3
		}
	}
	return append(docs, data[start:])
}

// verifyServing checks that the serving certificate chains to the CA for dns.
func verifyServing(t *testing.T, caPEM, certPEM []byte, dns string) {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.crt is not PEM")
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("tls.crt is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: dns}); err != nil {
		t.Fatalf("the serving certificate does not verify for %s: %v", dns, err)
	}
}

func poll(t *testing.T, what string, check func(context.Context) error) {
	t.Helper()
	var last error
	if err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		last = check(ctx)
		return last == nil, nil
	}); err != nil {
		t.Fatalf("%s: %v", what, last)
	}
}
