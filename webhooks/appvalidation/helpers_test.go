package appvalidation

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
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

// testValidator validates under a default Knative install and a platform
// that allows fullApp's build template.
func testValidator() Validator {
	cfg := platform.Default()
	cfg.Builds.ClusterTemplates = []string{"kaniko"}
	return Validator{KnativeConfig: DefaultKnativeConfig, Platform: cfg}
}
