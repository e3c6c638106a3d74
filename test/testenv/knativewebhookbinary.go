package testenv

import (
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// WithoutKnativeAdmission leaves out the in-process Knative admission for
// Services (its webhook configurations; the handlers stay registered but
// are never called), for a control plane that runs Knative Serving's own
// webhook binary under the same configuration names instead
// (stack.InstallKnativeWebhook).
func WithoutKnativeAdmission() Option {
	return func(e *envtest.Environment) {
		o := &e.WebhookInstallOptions
		o.MutatingWebhooks = slices.DeleteFunc(o.MutatingWebhooks, func(w *admissionregistrationv1.MutatingWebhookConfiguration) bool {
			return w.Name == defaultingWebhook
		})
		o.ValidatingWebhooks = slices.DeleteFunc(o.ValidatingWebhooks, func(w *admissionregistrationv1.ValidatingWebhookConfiguration) bool {
			return w.Name == validationWebhook
		})
	}
}
