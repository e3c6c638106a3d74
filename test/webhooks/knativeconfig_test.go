package webhooks_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// The App webhook checks an App under the cluster's own Knative flags, read
// from knative-serving's config maps as the reconciler reads them: a field
// behind a flag the cluster has off is refused naming the flag, and
// admitted once the platform turns the flag on. Not parallel: the config
// map is the whole cluster's.
func TestAppWebhookReadsTheClusterKnativeFlags(t *testing.T) {
	ctx := context.Background()
	knativeNS := platform.Default().KnativeServingNamespace
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: knativeNS}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	ns := newNamespace(t, nil)
	app := func(name string) *v1alpha1.App {
		return &v1alpha1.App{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: v1alpha1.AppSpec{Image: "registry.example.com/team-a/shop:1.4.2", Template: v1alpha1.AppTemplate{
				Containers: []v1alpha1.Container{{
					Env: []corev1.EnvVar{{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				}},
				Tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "payments", Effect: corev1.TaintEffectNoSchedule}},
			}},
		}
	}

	err := k8s.Create(ctx, app("off"))
	for _, want := range []string{
		"spec.template.containers[0].env[0].valueFrom.fieldRef: Forbidden: kubernetes.podspec-fieldref is disabled in config-features",
		"spec.template.tolerations: Forbidden: kubernetes.podspec-tolerations is disabled in config-features",
	} {
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), webhookDenied) || !strings.Contains(err.Error(), want) {
			t.Errorf("with the flags off (Knative's default): want the webhook to say %q, got %v", want, err)
		}
	}

	features := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: knativeNS, Name: "config-features"},
		Data:       map[string]string{"kubernetes.podspec-fieldref": "enabled", "kubernetes.podspec-tolerations": "enabled"},
	}
	create(t, features)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), features) })
	if err := k8s.Create(ctx, app("on")); err != nil {
		t.Fatalf("with the flag on: %v", err)
	}

	// A config map Knative cannot parse: Knative would refuse the Service
	// too, so the App is refused, naming the config map.
	defaults := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: knativeNS, Name: "config-defaults"},
		Data:       map[string]string{"revision-timeout-seconds": "five minutes"},
	}
	create(t, defaults)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), defaults) })
	err = k8s.Create(ctx, app("broken"))
	if err == nil || !strings.Contains(err.Error(), "knative-serving/config-defaults") {
		t.Fatalf("with config-defaults unparseable: want a refusal naming the config map, got %v", err)
	}
}
