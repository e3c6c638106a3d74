package resources

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
)

func benchApp() *v1alpha1.App {
	return newApp(
		withContainers(v1alpha1.Container{
			Env:   []corev1.EnvVar{{Name: "MODE", Value: "prod"}, {Name: "LOG_LEVEL", Value: "info"}},
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}),
		withScaling(v1alpha1.Scaling{MaxScale: ptr.To[int32](20), Target: ptr.To[int32](100)}),
		withRelease(v1alpha1.Release{Stable: "shop-00aaaaaaaa", Canary: &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Percent: 10}}),
	)
}

// BenchmarkMakeKnativeService measures the pure builders a reconcile runs (template, plan, Service).
func BenchmarkBuildService(b *testing.B) {
	app, in := benchApp(), serviceInputs{Environment: prod, Revisions: sets.New("shop-00aaaaaaaa")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := buildService(app, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDefaultAndValidate measures Knative's defaulting and validation,
// which every reconcile runs on the desired Service before comparing.
func BenchmarkDefaultAndValidate(b *testing.B) {
	app := benchApp()
	ksvc, err := buildService(app, serviceInputs{Environment: prod, Revisions: sets.New("shop-00aaaaaaaa")})
	if err != nil {
		b.Fatal(err)
	}
	cfg := knativeconfig.Default()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DefaultAndValidate(ctx, cfg, app, ksvc); err != nil {
			b.Fatal(err)
		}
	}
}
