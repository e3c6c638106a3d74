package appvalidation

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"
	servingconfig "knative.dev/serving/pkg/apis/config"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// Validate checks an App at admission, under the cluster's Knative
// configuration cfg: the App's own rules (v1alpha1.App.Validate), then
// Knative Serving's own rules for the Service the App makes
// (resources.ValidateInKnative), so a field behind a config-features flag
// the cluster has off is refused and one it has on is admitted. Each error
// names the App's field at fault and says what is allowed; a field the
// App's rules refused is not reported again in Knative's words.
func Validate(ctx context.Context, cfg *servingconfig.Config, app *v1alpha1.App) field.ErrorList {
	if app == nil {
		return nil
	}
	errs := app.Validate()
	refused := make(map[string]bool, len(errs))
	for _, e := range errs {
		refused[e.Field] = true
	}
	for _, e := range resources.ValidateInKnative(ctx, cfg, app) {
		if !refused[e.Field] {
			errs = append(errs, e)
		}
	}
	return errs
}
