package resources

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// An environment default Knative would refuse on every App of that
// environment fails the platform config at startup, naming the setting
// and Knative's rule; the built-in environments pass.
func TestValidateEnvironmentsUsesKnativesRules(t *testing.T) {
	if err := ValidateEnvironments(platform.Default()); err != nil {
		t.Fatalf("the built-in environments: %v", err)
	}
	cfg := platform.Default()
	cfg.Environments["prod"] = platform.Environment{Scaling: v1alpha1.Scaling{
		Window:         &metav1.Duration{Duration: 3 * time.Second},
		ScaleDownDelay: &metav1.Duration{Duration: 2 * time.Hour},
		MinScale:       ptr.To[int32](1),
	}}
	err := ValidateEnvironments(cfg)
	if err == nil {
		t.Fatal("a 3s window and a 2h scale-down delay were accepted")
	}
	for _, want := range []string{"environments.prod.window: Knative Serving refuses it", "6s", "environments.prod.scaleDownDelay: Knative Serving refuses it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}
