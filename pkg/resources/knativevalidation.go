package resources

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
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

// knativeRefusal is Knative Serving's own validation of a defaulted
// Service. Knative admits with warnings (such as insecure security-context
// defaults); only its errors refuse a Service.
func knativeRefusal(ctx context.Context, cfg *servingconfig.Config, defaulted *servingv1.Service) *apis.FieldError {
	return defaulted.Validate(apis.WithinCreate(knativeconfig.ToContext(ctx, cfg))).Filter(apis.ErrorLevel)
}

// KnativeValidate applies Knative Serving's own validation to the defaulted
// Service made from app and returns its refusal as a SpecError naming the
// App's fields, so that a bad App is reported before anything is written.
func KnativeValidate(ctx context.Context, cfg *servingconfig.Config, app *v1alpha1.App, defaulted *servingv1.Service) error {
	if ferr := knativeRefusal(ctx, cfg, defaulted); ferr != nil {
		return specErrorFromFieldErrors(KnativeFieldErrors(app, ferr))
	}
	return nil
}

// DefaultAndValidate is KnativeDefaults then KnativeValidate.
func DefaultAndValidate(ctx context.Context, cfg *servingconfig.Config, app *v1alpha1.App, ksvc *servingv1.Service) (*servingv1.Service, error) {
	defaulted := KnativeDefaults(ctx, cfg, ksvc)
	if err := KnativeValidate(ctx, cfg, app, defaulted); err != nil {
		return nil, err
	}
	return defaulted, nil
}

// admissionImage stands in for every image when Knative's rules are
// checked at admission: images are the App's own rules
// (v1alpha1.App.Validate), and an App whose first build has not run yet has
// none, which must not hide the rest.
const admissionImage = "registry.invalid/knapp/admission:placeholder"

// ValidateInKnative checks an App against Knative Serving's own rules for
// the Service it makes, under the cluster's Knative configuration cfg: the
// builders make the Service as the reconciler would (with no environment
// defaults, which are the platform's, and every image a placeholder), then
// Knative's SetDefaults and Validate run on it, and each refusal names the
// App's field it came from.
func ValidateInKnative(ctx context.Context, cfg *servingconfig.Config, app *v1alpha1.App) field.ErrorList {
	checked := app.DeepCopy()
	checked.Spec.Image, checked.Spec.Build = admissionImage, nil
	for i := 1; i < len(checked.Spec.Template.Containers); i++ {
		checked.Spec.Template.Containers[i].Image = admissionImage
	}
	if len(checked.Spec.Template.Containers) > 0 {
		checked.Spec.Template.Containers[0].Image = ""
	}
	tmpl, err := MakeRevisionTemplate(checked, platform.Environment{}, "")
	if err != nil {
		return specFieldErrors(err)
	}
	plan, err := PlanRelease(nil, sets.New(tmpl.Name))
	if err != nil {
		return specFieldErrors(err)
	}
	ksvc := MakeKnativeService(checked, tmpl, plan, ServiceRouting{})
	if ferr := knativeRefusal(ctx, cfg, KnativeDefaults(ctx, cfg, ksvc)); ferr != nil {
		return KnativeFieldErrors(app, ferr)
	}
	return nil
}

// specFieldErrors is a builder's refusal as a field error.
func specFieldErrors(err error) field.ErrorList {
	var specErr *SpecError
	if errors.As(err, &specErr) {
		return field.ErrorList{field.Invalid(field.NewPath(specErr.Field), field.OmitValueType{}, specErr.Detail)}
	}
	return field.ErrorList{field.InternalError(field.NewPath("spec"), err)}
}
