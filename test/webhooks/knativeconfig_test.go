package webhooks_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/testenv"
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

	// The scheduling sample: refused naming each flag while they are off,
	// admitted once the sample's config-features is applied.
	settlement := schedulingSample(t, "settlement.yaml")[0]
	settlement.SetNamespace(ns)
	err = k8s.Create(ctx, settlement.DeepCopy())
	for _, flag := range []string{"tolerations", "nodeselector", "affinity", "init-containers", "fieldref"} {
		if want := "kubernetes.podspec-" + flag + " is disabled in config-features"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the settlement sample with Knative's defaults: want %q, got %v", want, err)
		}
	}

	features := schedulingSample(t, "knative-features.yaml")[0]
	if features.GetKind() != "ConfigMap" || features.GetNamespace() != knativeNS || features.GetName() != "config-features" {
		t.Fatalf("knative-features.yaml holds %s %s/%s, want ConfigMap %s/config-features", features.GetKind(), features.GetNamespace(), features.GetName(), knativeNS)
	}
	create(t, features)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), features) })
	if err := k8s.Create(ctx, app("on")); err != nil {
		t.Fatalf("with the flag on: %v", err)
	}
	if err := k8s.Create(ctx, settlement); err != nil {
		t.Errorf("the settlement sample with its flags on: %v", err)
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

// schedulingSample reads a file of config/samples/scheduling.
func schedulingSample(t *testing.T, name string) []*unstructured.Unstructured {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := testenv.ReadObjects(filepath.Join(root, "config", "samples", "scheduling", name))
	if err != nil || len(objs) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	return objs
}
