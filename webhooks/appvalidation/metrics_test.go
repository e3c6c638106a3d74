package appvalidation

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/metrics"
)

// Each AdmissionReview counts once in knapp_app_admissions_total (validation)
// or knapp_app_defaulting_total (defaulting), by operation and result.
func TestWebhooksCountAdmissions(t *testing.T) {
	server := webhook.NewServer(webhook.Options{})
	Register(server, testScheme(t), testValidator())
	mux := server.WebhookMux()
	invalidWithWarning := validApp(func(a *v1alpha1.App) {
		a.Spec.Image = "UPPER"
		a.Spec.Scaling = &v1alpha1.Scaling{Metric: v1alpha1.ScalingMetricCPU, MinScale: ptr.To[int32](0)}
	})
	defaulted := validApp(withBuild)
	Default(defaulted)

	tests := []struct {
		name    string
		send    func()
		counter func() float64
	}{
		{"valid create", func() { review(t, mux, ValidatePath, admissionv1.Create, nil, fullApp()) },
			admissions("CREATE", metrics.AdmissionAllowed, "false")},
		{"invalid create with a warning", func() { review(t, mux, ValidatePath, admissionv1.Create, nil, invalidWithWarning) },
			admissions("CREATE", metrics.AdmissionDenied, "true")},
		{"update with a warning", func() {
			review(t, mux, ValidatePath, admissionv1.Update, validApp(holding), validApp(holding, func(a *v1alpha1.App) {
				a.Spec.Domain = &v1alpha1.Domain{Name: "shop-b"}
			}))
		}, admissions("UPDATE", metrics.AdmissionAllowed, "true")},
		{"unreadable object", func() { reviewRaw(t, mux, ValidatePath, admissionv1.Create, nil, []byte(`{"kind": 1}`)) },
			admissions("CREATE", metrics.AdmissionErrored, "false")},
		{"defaults added", func() { review(t, mux, DefaultPath, admissionv1.Create, nil, validApp(withBuild)) },
			defaulting("CREATE", metrics.DefaultingPatched)},
		{"nothing to default", func() { review(t, mux, DefaultPath, admissionv1.Update, defaulted, defaulted) },
			defaulting("UPDATE", metrics.DefaultingUnchanged)},
		{"unreadable object defaulted", func() { reviewRaw(t, mux, DefaultPath, admissionv1.Create, nil, []byte(`{"kind": 1}`)) },
			defaulting("CREATE", metrics.DefaultingErrored)},
		// Not from the apiserver: one series for any such operation, and no
		// panic for one that is not UTF-8.
		{"unknown operation", func() { reviewRaw(t, mux, ValidatePath, "\xd6", nil, nil) },
			admissions("unknown", metrics.AdmissionErrored, "false")},
		{"unknown operation defaulted", func() { review(t, mux, DefaultPath, "PATCH", nil, validApp()) },
			defaulting("unknown", metrics.DefaultingUnchanged)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.counter()
			tc.send()
			if d := tc.counter() - before; d != 1 {
				t.Errorf("counted %v times, want once", d)
			}
		})
	}
}

func admissions(op, result, warnings string) func() float64 {
	return func() float64 { return testutil.ToFloat64(metrics.AppAdmissions.WithLabelValues(op, result, warnings)) }
}

func defaulting(op, result string) func() float64 {
	return func() float64 { return testutil.ToFloat64(metrics.AppDefaulting.WithLabelValues(op, result)) }
}
