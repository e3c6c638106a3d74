package resources

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// appOption changes a test App.
type appOption func(*v1alpha1.App)

// newApp is a minimal valid App, changed by opts.
func newApp(opts ...appOption) *v1alpha1.App {
	app := &v1alpha1.App{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "App"},
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-a", UID: types.UID("0b7f1c2e-1111-4222-8333-444455556666")},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/team-a/shop:1.4.2"},
	}
	for _, o := range opts {
		o(app)
	}
	return app
}

// assertGolden compares obj as YAML with testdata/<name>.yaml; -update rewrites it.
func assertGolden(t *testing.T, name string, obj any) {
	t.Helper()
	got, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	path := filepath.Join("testdata", name+".yaml")
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; run go test ./pkg/resources -update and review the diff.\n--- got:\n%s", path, got)
	}
}

// assertKnativeAccepts runs Knative Serving's own SetDefaults and Validate,
// as its webhook would with a default install's configuration.
func assertKnativeAccepts(t *testing.T, app *v1alpha1.App, ksvc *servingv1.Service) {
	t.Helper()
	if _, err := DefaultAndValidate(context.Background(), knativeconfig.Default(), app, ksvc); err != nil {
		t.Errorf("Knative refuses the generated Service: %v", err)
	}
}

// serviceInputs are what a test varies besides the App.
type serviceInputs struct {
	Environment platform.Environment
	Revisions   sets.Set[string]
	// BuiltImage is the image of the newest successful build.
	BuiltImage string
	// LostHost: another App holds the host.
	LostHost bool
	// ClusterLocal: knapp's VirtualService serves the host.
	ClusterLocal bool
}

// buildService runs the builders as the reconciler does: template, plan,
// then the Knative Service.
func buildService(app *v1alpha1.App, in serviceInputs) (*servingv1.Service, error) {
	tmpl, err := MakeRevisionTemplate(app, in.Environment, in.BuiltImage)
	if err != nil {
		return nil, err
	}
	plan, err := PlanRelease(app.Spec.Release, sets.New(tmpl.Name).Union(in.Revisions))
	if err != nil {
		return nil, err
	}
	return MakeKnativeService(app, tmpl, plan, ServiceRouting{HoldsHost: !in.LostHost, ClusterLocal: in.ClusterLocal}), nil
}
