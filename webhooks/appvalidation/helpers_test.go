package appvalidation

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
)

// validate, validateUpdate and updateWarnings check under a default
// Knative install's configuration.
func validate(app *v1alpha1.App) field.ErrorList {
	return Validate(context.Background(), knativeconfig.Default(), app)
}

func validateUpdate(old, new *v1alpha1.App) field.ErrorList {
	return ValidateUpdate(context.Background(), knativeconfig.Default(), old, new)
}

func updateWarnings(old, new *v1alpha1.App) []string {
	return UpdateWarnings(context.Background(), knativeconfig.Default(), old, new)
}
