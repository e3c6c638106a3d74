package testenv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// The names and paths of Knative Serving's own webhooks, so admission errors
// read exactly as on a cluster: admission webhook
// "validation.webhook.serving.knative.dev" denied the request: ...
const (
	defaultingWebhook = "webhook.serving.knative.dev"
	validationWebhook = "validation.webhook.serving.knative.dev"
	defaultingPath    = "/defaulting"
	validationPath    = "/resource-validation"
)

// knativeWebhookOptions declares Knative's webhooks for Services as its
// controllers reconcile them on a cluster (services and services/status, on
// create and update). envtest swaps each service reference for a URL to the
// local server and fills in its CA.
func knativeWebhookOptions() envtest.WebhookInstallOptions {
	rules := []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{
			APIGroups:   []string{servingv1.SchemeGroupVersion.Group},
			APIVersions: []string{servingv1.SchemeGroupVersion.Version},
			Resources:   []string{"services", "services/status"},
		},
	}}
	// Knative skips namespaces labelled webhooks.knative.dev/exclude.
	nsSelector := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: "webhooks.knative.dev/exclude", Operator: metav1.LabelSelectorOpDoesNotExist,
	}}}
	// envtest builds the URL as "https://host:port/" + path, so the path goes
	// without its leading slash.
	clientConfig := func(path string) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
			Namespace: "knative-serving", Name: "webhook", Path: ptr.To(path[1:]),
		}}
	}
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	return envtest.WebhookInstallOptions{
		MutatingWebhooks: []*admissionregistrationv1.MutatingWebhookConfiguration{{
			ObjectMeta: metav1.ObjectMeta{Name: defaultingWebhook},
			Webhooks: []admissionregistrationv1.MutatingWebhook{{
				Name:                    defaultingWebhook,
				ClientConfig:            clientConfig(defaultingPath),
				Rules:                   rules,
				FailurePolicy:           &fail,
				SideEffects:             &none,
				NamespaceSelector:       nsSelector,
				TimeoutSeconds:          ptr.To[int32](10),
				AdmissionReviewVersions: []string{"v1"},
				ReinvocationPolicy:      ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy),
			}},
		}},
		ValidatingWebhooks: []*admissionregistrationv1.ValidatingWebhookConfiguration{{
			ObjectMeta: metav1.ObjectMeta{Name: validationWebhook},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name:                    validationWebhook,
				ClientConfig:            clientConfig(validationPath),
				Rules:                   rules,
				FailurePolicy:           &fail,
				SideEffects:             &none,
				NamespaceSelector:       nsSelector,
				TimeoutSeconds:          ptr.To[int32](10),
				AdmissionReviewVersions: []string{"v1"},
			}},
		}},
	}
}

// startWebhookServer serves the Knative admission handlers on the address
// and certificates envtest prepared, and returns once the server accepts
// TLS connections, because with failurePolicy Fail no Knative Service can
// be written before. stop shuts it down and waits for it.
func startWebhookServer(o *envtest.WebhookInstallOptions) (srv webhook.Server, stop func() error, err error) {
	// The certificate is loaded once rather than watched: envtest never
	// rotates it, and a watcher would log errors when Stop deletes it.
	cert, err := tls.LoadX509KeyPair(filepath.Join(o.LocalServingCertDir, "tls.crt"), filepath.Join(o.LocalServingCertDir, "tls.key"))
	if err != nil {
		return nil, nil, fmt.Errorf("knative webhook server: %w", err)
	}
	srv = webhook.NewServer(webhook.Options{
		Host: o.LocalServingHost,
		Port: o.LocalServingPort,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) {
			c.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert, nil }
		}},
	})
	srv.Register(defaultingPath, &admission.Webhook{Handler: admission.HandlerFunc(DefaultService)})
	srv.Register(validationPath, &admission.Webhook{Handler: admission.HandlerFunc(ValidateService)})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	stop = func() error {
		cancel()
		return <-done
	}

	started := srv.StartedChecker()
	deadline := time.Now().Add(time.Minute)
	for {
		err := started(&http.Request{})
		if err == nil {
			return srv, stop, nil
		}
		select {
		case serr := <-done:
			cancel()
			return nil, nil, fmt.Errorf("knative webhook server: %w", errors.Join(serr, err))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, nil, errors.Join(fmt.Errorf("knative webhook server did not start: %w", err), stop())
		}
	}
}
