package appvalidation

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	"knapp.dev/knapp/api/v1alpha1"
)

// FuzzValidate decodes arbitrary JSON into an App, as the apiserver's
// request would carry it, and checks that no function of the package
// panics on it, that Default is idempotent, and that every error names a
// field. Seeds are in testdata/fuzz/FuzzValidate.
func FuzzValidate(f *testing.F) {
	for _, app := range []*v1alpha1.App{validApp(), fullApp()} {
		data, err := json.Marshal(app)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"spec":{"schedules":[{"name":"a","schedule":"TZ=","timezone":"UTC"}]}}`))
	f.Add([]byte(`{"spec":{"logs":{"path":"/proc/../x"},"template":{"containers":[{},{}]}}}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		var app v1alpha1.App
		if err := json.Unmarshal(data, &app); err != nil {
			return
		}
		old := app.DeepCopy()
		for _, e := range validate(&app) {
			if e.Field == "" {
				t.Errorf("error without a field: %v", e)
			}
		}
		Warnings(&app)

		Default(&app)
		once := app.DeepCopy()
		Default(&app)
		if !equality.Semantic.DeepEqual(once, &app) {
			t.Errorf("Default is not idempotent on %s", data)
		}
		validateUpdate(old, &app)
		updateWarnings(old, &app)
		validateUpdate(&app, old)
		updateWarnings(&app, old)
	})
}
