package resources_test

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

func serviceTestApp() *v1alpha1.App {
	return &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-a", UID: "uid-1"},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/team-a/shop:1.4.2"},
	}
}

// desiredAndStored returns the desired Service for app, defaulted as knapp
// compares it, and the same Service as Knative's webhook would store it.
func desiredAndStored(t *testing.T, app *v1alpha1.App) (desired, defaulted, stored *servingv1.Service) {
	t.Helper()
	tmpl, err := resources.MakeRevisionTemplate(app, platform.Environment{}, "")
	if err != nil {
		t.Fatal(err)
	}
	desired = resources.MakeKnativeService(app, tmpl, resources.ReleasePlan{}, resources.ServiceRouting{HoldsHost: true})
	defaulted, err = resources.DefaultAndValidate(context.Background(), knativeconfig.Default(), app, desired)
	if err != nil {
		t.Fatal(err)
	}
	stored = desired.DeepCopy()
	ctx := knativeconfig.ToContext(apis.WithinCreate(context.Background()), knativeconfig.Default())
	stored.SetDefaults(apis.WithUserInfo(ctx, nil))
	stored.Annotations["serving.knative.dev/creator"] = "system:serviceaccount:knapp:knapp"
	stored.Labels["team"] = "a"
	return desired, defaulted, stored
}

func TestServiceNeedsNoUpdateAfterKnativeDefaults(t *testing.T) {
	_, defaulted, stored := desiredAndStored(t, serviceTestApp())
	if resources.KnativeServiceNeedsUpdate(stored, defaulted) {
		t.Fatal("a Service that Knative only defaulted reads as changed: knapp would write on every reconcile")
	}
}

func TestServiceNeedsUpdate(t *testing.T) {
	tests := map[string]func(*servingv1.Service){
		"template renamed": func(s *servingv1.Service) { s.Spec.Template.Name = "shop-someone-else" },
		"traffic edited":   func(s *servingv1.Service) { s.Spec.Traffic[0].Percent = nil },
		"owned label lost": func(s *servingv1.Service) { delete(s.Labels, v1alpha1.LabelApp) },
		"owned annotation changed": func(s *servingv1.Service) {
			s.Annotations[v1alpha1.AnnotationHost] = "other"
		},
		// A rollout duration the App no longer asks for is knapp's to remove.
		"rollout duration left over": func(s *servingv1.Service) {
			s.Annotations["serving.knative.dev/rollout-duration"] = "10m0s"
		},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			_, defaulted, stored := desiredAndStored(t, serviceTestApp())
			edit(stored)
			if !resources.KnativeServiceNeedsUpdate(stored, defaulted) {
				t.Fatal("drift not detected")
			}
		})
	}
}

func TestApplyDesiredServiceKeepsOthersMetadataAndTheDefaultedTemplate(t *testing.T) {
	desired, _, stored := desiredAndStored(t, serviceTestApp())
	stored.Spec.Traffic = nil
	delete(stored.Annotations, v1alpha1.AnnotationHost)

	out := resources.UpdateKnativeService(stored, desired)
	if out.Labels["team"] != "a" || out.Annotations["serving.knative.dev/creator"] == "" {
		t.Errorf("metadata others own was dropped: labels %v annotations %v", out.Labels, out.Annotations)
	}
	if out.Annotations[v1alpha1.AnnotationHost] != "shop" {
		t.Errorf("owned annotation not restored: %v", out.Annotations)
	}
	if out.Spec.Template.Spec.Containers[0].Name != "user-container" {
		t.Errorf("same revision name, yet the template Knative defaulted was replaced: %+v", out.Spec.Template.Spec.Containers[0])
	}
	if len(out.Spec.Traffic) != 1 || out.Spec.Traffic[0].LatestRevision == nil {
		t.Errorf("traffic not restored: %+v", out.Spec.Traffic)
	}

	changed := serviceTestApp()
	changed.Spec.Image = "registry.example.com/team-a/shop:1.4.3"
	newDesired, _, _ := desiredAndStored(t, changed)
	out = resources.UpdateKnativeService(stored, newDesired)
	if out.Spec.Template.Name != newDesired.Spec.Template.Name || out.Spec.Template.Spec.Containers[0].Image != changed.Spec.Image {
		t.Errorf("a new template was not applied: %+v", out.Spec.Template)
	}
}
