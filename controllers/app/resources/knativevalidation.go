package resources

import (
	"context"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knative.dev/pkg/apis"
	servingconfig "knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// DefaultAndValidate applies Knative Serving's own defaulting and
// validation, with the cluster's Knative configuration, to a copy of ksvc:
// it returns what Knative's webhook would store, or Knative's refusal as a
// SpecError, so that a bad App is reported before anything is written.
func DefaultAndValidate(ctx context.Context, cfg *servingconfig.Config, ksvc *servingv1.Service) (*servingv1.Service, error) {
	kctx := apis.WithinCreate(knativeconfig.ToContext(ctx, cfg))
	defaulted := ksvc.DeepCopy()
	defaulted.SetDefaults(kctx)
	// Knative admits with warnings (such as insecure security-context
	// defaults); only its errors refuse a Service.
	if ferr := defaulted.Validate(kctx).Filter(apis.ErrorLevel); ferr != nil {
		return nil, &SpecError{Reason: v1alpha1.ReasonInvalidSpec, Field: "spec",
			Detail: "Knative Serving refuses the Service made from this App: " + ferr.Error()}
	}
	return defaulted, nil
}
