package integration

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	istiov1 "istio.io/client-go/pkg/apis/networking/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// What Argo CD puts on the objects it applies: the label of label tracking
// (app.kubernetes.io/instance by default) and the annotation of annotation
// tracking. A child carrying either would show up in Argo CD as an
// out-of-band resource of the Argo CD Application, to be pruned.
var argoCDTracking = map[string]string{
	"app.kubernetes.io/instance":      "shop-prod",
	"argocd.argoproj.io/tracking-id":  "shop-prod:knapp.dev/App:ns/shop",
	"argocd.argoproj.io/sync-options": "Prune=false",
}

func tracked(a *v1alpha1.App) {
	a.Labels = map[string]string{"app.kubernetes.io/instance": argoCDTracking["app.kubernetes.io/instance"]}
	a.Annotations = map[string]string{}
	for k, v := range argoCDTracking {
		if strings.HasPrefix(k, "argocd.argoproj.io/") {
			a.Annotations[k] = v
		}
	}
}

// carriesArgoCDTracking names the first Argo CD tracking key in labels or
// annotations, or "".
func carriesArgoCDTracking(labels, annotations map[string]string) string {
	for _, m := range []map[string]string{labels, annotations} {
		for k := range m {
			if _, ok := argoCDTracking[k]; ok || strings.HasPrefix(k, "argocd.argoproj.io/") {
				return k
			}
		}
	}
	return ""
}

// An App applied by Argo CD: every child (Knative Service and its revision
// template, VirtualService, PingSource, build Workflow) is controlled by the
// App, so Argo CD shows it under the App, and none carries Argo CD's
// tracking label or annotations, so Argo CD never takes it for its own.
// knapp never writing App.spec is checked after every test (TestMain).
func TestChildrenShowUnderTheAppInArgoCD(t *testing.T) {
	t.Parallel()
	app, first := readyApp(t, nil)
	key := client.ObjectKeyFromObject(app)
	updateApp(t, key, func(a *v1alpha1.App) {
		tracked(a)
		a.Spec.Image = "registry.example.com/shop:2.0.0"
		a.Spec.Release = headerCanary(first.Spec.Template.Name)
		a.Spec.Schedules = []v1alpha1.Schedule{{Name: "nightly", Schedule: "0 3 * * *"}}
	})
	installBuildTemplate(t)
	built := newApp(app.Namespace, "built", withBuild("main"), tracked)
	create(t, built)

	ksvc := waitForService(t, key, func(s *servingv1.Service) error {
		if s.Spec.Template.Name == first.Spec.Template.Name {
			return errorf("the Service still runs the first revision")
		}
		return nil
	})
	vs := waitForVirtualService(t, routesKey(app), func(*istiov1.VirtualService) error { return nil })
	ps := waitFor(t, client.ObjectKey{Namespace: app.Namespace, Name: "shop-nightly"}, &resources.PingSource{}, func(*resources.PingSource) error { return nil })
	wf := waitForBuilds(t, built, 1)[0]

	children := []struct {
		what        string
		obj         metav1.Object
		owner       *v1alpha1.App
		labels      map[string]string
		annotations map[string]string
	}{
		{"Knative Service", ksvc, app, ksvc.Labels, ksvc.Annotations},
		{"revision template", ksvc, app, ksvc.Spec.Template.Labels, ksvc.Spec.Template.Annotations},
		{"VirtualService", vs, app, vs.Labels, vs.Annotations},
		{"PingSource", ps, app, ps.Labels, ps.Annotations},
		{"build Workflow", &wf, built, wf.Labels, wf.Annotations},
		{"build pods", &wf, built, wfPodLabels(&wf), wfPodAnnotations(&wf)},
	}
	for _, c := range children {
		if !metav1.IsControlledBy(c.obj, c.owner) {
			t.Errorf("%s %s is not controlled by App %s: owners %v", c.what, c.obj.GetName(), c.owner.Name, c.obj.GetOwnerReferences())
		}
		if k := carriesArgoCDTracking(c.labels, c.annotations); k != "" {
			t.Errorf("%s %s carries Argo CD's %s", c.what, c.obj.GetName(), k)
		}
	}
}

func wfPodLabels(wf *wfv1.Workflow) map[string]string {
	if wf.Spec.PodMetadata == nil {
		return nil
	}
	return wf.Spec.PodMetadata.Labels
}

func wfPodAnnotations(wf *wfv1.Workflow) map[string]string {
	if wf.Spec.PodMetadata == nil {
		return nil
	}
	return wf.Spec.PodMetadata.Annotations
}
