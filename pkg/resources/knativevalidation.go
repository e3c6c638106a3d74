package resources

import (
	"context"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knative.dev/pkg/apis"
	servingconfig "knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// KnativeDefaults applies Knative Serving's own defaulting, with the
// cluster's Knative configuration, to a copy of ksvc: what Knative's webhook
// would store.
func KnativeDefaults(ctx context.Context, cfg *servingconfig.Config, ksvc *servingv1.Service) *servingv1.Service {
	defaulted := ksvc.DeepCopy()
	defaulted.SetDefaults(apis.WithinCreate(knativeconfig.ToContext(ctx, cfg)))
	return defaulted
}

// KnativeValidate applies Knative Serving's own validation to a defaulted
// Service and returns its refusal as a SpecError, so that a bad App is
// reported before anything is written. Knative admits with warnings (such as
// insecure security-context defaults); only its errors refuse a Service.
func KnativeValidate(ctx context.Context, cfg *servingconfig.Config, defaulted *servingv1.Service) error {
	ferr := defaulted.Validate(apis.WithinCreate(knativeconfig.ToContext(ctx, cfg))).Filter(apis.ErrorLevel)
	if ferr != nil {
		return &SpecError{Reason: v1alpha1.ReasonInvalidSpec, Field: "spec",
			Detail: "Knative Serving refuses the Service made from this App: " + ferr.Error()}
	}
	return nil
}

// DefaultAndValidate is KnativeDefaults then KnativeValidate.
func DefaultAndValidate(ctx context.Context, cfg *servingconfig.Config, ksvc *servingv1.Service) (*servingv1.Service, error) {
	defaulted := KnativeDefaults(ctx, cfg, ksvc)
	if err := KnativeValidate(ctx, cfg, defaulted); err != nil {
		return nil, err
	}
	return defaulted, nil
}
