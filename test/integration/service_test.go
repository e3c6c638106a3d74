package integration

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knative.dev/pkg/apis"
	"knative.dev/serving/pkg/apis/autoscaling"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// An App becomes a Knative Service that Knative's own webhook accepted and
// defaulted, owned by the App; once Knative reports it ready, so is the App.
func TestAppBecomesKnativeService(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, map[string]string{"knapp.dev/environment": "prod"})
	app := newApp(ns, "shop", func(a *v1alpha1.App) {
		a.Labels = map[string]string{"app.kubernetes.io/instance": "gitops-shop"}
		a.Annotations = map[string]string{"argocd.argoproj.io/tracking-id": "gitops-shop:knapp.dev/App:" + ns + "/shop"}
		a.Spec.Template.Containers = []v1alpha1.Container{{
			Env:   []corev1.EnvVar{{Name: "MODE", Value: "prod"}},
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}
	})
	create(t, app)
	key := client.ObjectKeyFromObject(app)

	ksvc := waitForService(t, key, anyService)
	if !metav1.IsControlledBy(ksvc, app) {
		t.Errorf("the Knative Service is not controlled by the App: %+v", ksvc.OwnerReferences)
	}
	if ksvc.Labels[v1alpha1.LabelApp] != "shop" || ksvc.Labels[v1alpha1.LabelDomain] != v1alpha1.LabelDomainValue || ksvc.Annotations[v1alpha1.AnnotationHost] != ns+"-shop" {
		t.Errorf("labels %v annotations %v", ksvc.Labels, ksvc.Annotations)
	}
	if _, ok := ksvc.Labels["app.kubernetes.io/instance"]; ok {
		t.Error("Argo CD's tracking label reached the Knative Service")
	}
	if _, ok := ksvc.Annotations["argocd.argoproj.io/tracking-id"]; ok {
		t.Error("Argo CD's tracking annotation reached the Knative Service")
	}
	c := ksvc.Spec.Template.Spec.Containers[0]
	if c.Name != "user-container" {
		t.Errorf("container name %q: Knative's webhook did not default the stored Service", c.Name)
	}
	if got := ksvc.Spec.Template.Annotations[autoscaling.MinScaleAnnotationKey]; got != "1" {
		t.Errorf("prod environment: min-scale = %q, want 1", got)
	}
	if ksvc.Spec.Template.Labels[v1alpha1.LabelApp] != "shop" {
		t.Errorf("template labels %v: pods would not carry the App label", ksvc.Spec.Template.Labels)
	}

	waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionUnknown, v1alpha1.ReasonDeploying))

	actAsKnative(t, ksvc)
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady))
	if got.Status.URL != "http://"+ns+"-shop.sls-local.knapp.example.com" {
		t.Errorf("status.url = %q", got.Status.URL)
	}
	if got.Status.LatestReadyRevisionName != ksvc.Spec.Template.Name || got.Status.StableRevision != ksvc.Spec.Template.Name {
		t.Errorf("latest ready %q, stable %q, want %q", got.Status.LatestReadyRevisionName, got.Status.StableRevision, ksvc.Spec.Template.Name)
	}
	if len(got.Status.Traffic) != 1 || got.Status.Traffic[0].Percent == nil || *got.Status.Traffic[0].Percent != 100 {
		t.Errorf("status.traffic = %+v", got.Status.Traffic)
	}
	if want := []v1alpha1.ScalingSource{{Setting: "minScale", Value: "1", From: "environment prod"}}; !reflect.DeepEqual(got.Status.Scaling, want) {
		t.Errorf("status.scaling = %+v, want %+v", got.Status.Scaling, want)
	}
	if len(eventsFor(t, app)) == 0 {
		t.Error("no events recorded for the App")
	}
}

// A change of the App's template makes a new revision; a release can then
// name the old one as stable and the new one as canary.
func TestReleaseStableAndCanary(t *testing.T) {
	t.Parallel()
	app, first := readyApp(t, nil)
	key := client.ObjectKeyFromObject(app)
	firstRev := first.Spec.Template.Name

	updateApp(t, key, func(a *v1alpha1.App) {
		a.Spec.Image = "registry.example.com/shop:2.0.0"
		a.Spec.Release = &v1alpha1.Release{Stable: firstRev, Canary: &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Percent: 10}}
	})
	second := waitForService(t, key, func(s *servingv1.Service) error {
		if s.Spec.Template.Name == firstRev {
			return fmt.Errorf("template still %s", firstRev)
		}
		return nil
	})
	if err := trafficIs(second, firstRev, 90, "", 10); err != nil {
		t.Fatal(err)
	}
	actAsKnative(t, second)
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady))
	if got.Status.StableRevision != firstRev || got.Status.CanaryRevision != second.Spec.Template.Name || *got.Status.CanaryPercent != 10 {
		t.Errorf("status stable %q canary %q %v", got.Status.StableRevision, got.Status.CanaryRevision, got.Status.CanaryPercent)
	}
	// The revision history: both revisions, with their images and traffic.
	history := map[string]v1alpha1.RevisionStatus{}
	for _, r := range got.Status.Revisions {
		history[r.Name] = r
	}
	if h := history[firstRev]; h.Image != app.Spec.Image || h.Percent == nil || *h.Percent != 90 {
		t.Errorf("history of %s: %+v", firstRev, h)
	}
	if h := history[second.Spec.Template.Name]; h.Image != "registry.example.com/shop:2.0.0" || h.Percent == nil || *h.Percent != 10 || len(h.Tags) != 1 || h.Tags[0] != "canary" {
		t.Errorf("history of %s: %+v", second.Spec.Template.Name, h)
	}

	// Promote: the canary becomes stable, the canary goes.
	secondRev := second.Spec.Template.Name
	updateApp(t, key, func(a *v1alpha1.App) { a.Spec.Release = &v1alpha1.Release{Stable: secondRev} })
	waitForService(t, key, func(s *servingv1.Service) error { return trafficIs(s, secondRev, 100, "", -1) })

	// Roll back: the old revision still exists, so it can be stable again.
	updateApp(t, key, func(a *v1alpha1.App) { a.Spec.Release = &v1alpha1.Release{Stable: firstRev} })
	waitForService(t, key, func(s *servingv1.Service) error { return trafficIs(s, firstRev, 100, "", -1) })
}

// A release that names a revision that does not exist is refused in status
// and leaves the Service's traffic as it was.
func TestReleaseNamingMissingRevisionLeavesTrafficAlone(t *testing.T) {
	t.Parallel()
	app, before := readyApp(t, nil)
	key, ns := client.ObjectKeyFromObject(app), app.Namespace

	updateApp(t, key, func(a *v1alpha1.App) { a.Spec.Release = &v1alpha1.Release{Stable: "shop-0000000000"} })
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRevisionNotFound))
	if msg := got.Status.GetCondition(v1alpha1.ConditionServiceReady).Message; !contains(msg, "spec.release.stable", "shop-0000000000", before.Spec.Template.Name) {
		t.Errorf("message %q should name the field, the missing revision and the ones that exist", msg)
	}
	after := &servingv1.Service{}
	if err := k8s.Get(context.Background(), key, after); err != nil {
		t.Fatal(err)
	}
	if after.Generation != before.Generation {
		t.Errorf("the Service was written (generation %d to %d) though the release was refused", before.Generation, after.Generation)
	}

	// When Knative creates that revision, the release goes through.
	rev := &servingv1.Revision{}
	rev.Name, rev.Namespace = "shop-0000000000", ns
	rev.Labels = map[string]string{"serving.knative.dev/service": "shop", v1alpha1.LabelApp: "shop"}
	rev.Spec = before.Spec.Template.Spec
	create(t, rev)
	waitForService(t, key, func(s *servingv1.Service) error { return trafficIs(s, "shop-0000000000", 100, "", -1) })
}

// updateApp edits the App's spec as a user would, retrying on conflicts.
func updateApp(t *testing.T, key client.ObjectKey, edit func(*v1alpha1.App)) {
	t.Helper()
	eventually(t, "updating App "+key.String(), func(ctx context.Context) error {
		app := &v1alpha1.App{}
		if err := k8s.Get(ctx, key, app); err != nil {
			return err
		}
		edit(app)
		return k8s.Update(ctx, app)
	})
}

// trafficIs checks the Service's traffic: stable (a name, or "" for the
// latest revision) at stablePercent, and a canary tagged "canary" at
// canaryPercent, or none when canaryPercent is -1.
func trafficIs(s *servingv1.Service, stable string, stablePercent int64, canary string, canaryPercent int64) error {
	want := 1
	if canaryPercent >= 0 {
		want = 2
	}
	if len(s.Spec.Traffic) != want {
		return fmt.Errorf("traffic %+v: want %d targets", s.Spec.Traffic, want)
	}
	st := s.Spec.Traffic[0]
	if st.RevisionName != stable || st.Percent == nil || *st.Percent != stablePercent || st.Tag != "" {
		return fmt.Errorf("stable target %+v: want %q at %d%%", st, stable, stablePercent)
	}
	if want == 2 {
		ct := s.Spec.Traffic[1]
		latest := canary == "" && ct.LatestRevision != nil && *ct.LatestRevision
		if ct.Tag != "canary" || ct.Percent == nil || *ct.Percent != canaryPercent || (ct.RevisionName != canary && !latest) {
			return fmt.Errorf("canary target %+v: want %q at %d%% tagged canary", ct, canary, canaryPercent)
		}
	}
	return nil
}

// A named tag gives a revision its own host at 0% of the traffic, through
// Knative's admission; the stable keeps everything, and status lists the
// tag with its URL and in the revision's history.
func TestNamedTagServesARevisionAtNoShare(t *testing.T) {
	t.Parallel()
	app, first := readyApp(t, nil)
	key := client.ObjectKeyFromObject(app)
	firstRev := first.Spec.Template.Name

	updateApp(t, key, func(a *v1alpha1.App) {
		a.Spec.Image = "registry.example.com/shop:2.0.0"
		a.Spec.Release = &v1alpha1.Release{Stable: firstRev, Tags: []v1alpha1.RevisionTag{{Name: "preview-42", Revision: v1alpha1.CanaryLatest}}}
	})
	second := waitForService(t, key, func(s *servingv1.Service) error {
		if s.Spec.Template.Name == firstRev || len(s.Spec.Traffic) != 2 {
			return fmt.Errorf("template %s, traffic %+v", s.Spec.Template.Name, s.Spec.Traffic)
		}
		return nil
	})
	if tag := second.Spec.Traffic[1]; tag.Tag != "preview-42" || tag.Percent == nil || *tag.Percent != 0 || tag.LatestRevision == nil || !*tag.LatestRevision {
		t.Errorf("tag target %+v", tag)
	}
	setKnativeStatus(t, key, func(s *servingv1.Service) {
		knativeReady(s)
		s.Status.Traffic[1].URL = apis.HTTP("preview-42-shop." + s.Namespace + ".sls-local.knapp.example.com")
	})
	got := waitForApp(t, key, func(a *v1alpha1.App) error {
		if len(a.Status.Traffic) != 2 || a.Status.Traffic[1].Tag != "preview-42" {
			return fmt.Errorf("status.traffic %+v", a.Status.Traffic)
		}
		return nil
	})
	if got.Status.StableRevision != firstRev || got.Status.CanaryRevision != "" {
		t.Errorf("stable %q canary %q: a named tag is neither", got.Status.StableRevision, got.Status.CanaryRevision)
	}
	if u := got.Status.Traffic[1].URL; u != "http://preview-42-shop."+key.Namespace+".sls-local.knapp.example.com" {
		t.Errorf("the tag's URL %q", u)
	}
	for _, r := range got.Status.Revisions {
		if r.Name == second.Spec.Template.Name && (len(r.Tags) != 1 || r.Tags[0] != "preview-42" || r.Percent == nil || *r.Percent != 0) {
			t.Errorf("history of %s: %+v", r.Name, r)
		}
	}
}

// A migrated service's pod template reaches the Knative Service that
// Knative's own webhook admitted: its volumes and mounts, pull secret,
// security context, and pod labels and annotations beside knapp's.
func TestPodTemplateReachesTheService(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	app := newApp(ns, "payments", func(a *v1alpha1.App) {
		a.Spec.Template = v1alpha1.AppTemplate{
			Labels:      map[string]string{"team": "payments"},
			Annotations: map[string]string{"prometheus.io/scrape": "true"},
			Volumes: []v1alpha1.Volume{
				{Name: "config", ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "payments-config"}}},
				{Name: "tls", Secret: &corev1.SecretVolumeSource{SecretName: "payments-tls"}},
			},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry-pull"}},
			Containers: []v1alpha1.Container{{
				Ports:           []corev1.ContainerPort{{ContainerPort: 8080}},
				VolumeMounts:    []corev1.VolumeMount{{Name: "config", MountPath: "/etc/payments", ReadOnly: true}, {Name: "tls", MountPath: "/etc/tls", ReadOnly: true}},
				SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)},
			}},
		}
	})
	create(t, app)
	ksvc := waitForService(t, client.ObjectKeyFromObject(app), anyService)
	tmpl := ksvc.Spec.Template
	if tmpl.Labels["team"] != "payments" || tmpl.Labels[v1alpha1.LabelApp] != "payments" || tmpl.Annotations["prometheus.io/scrape"] != "true" {
		t.Errorf("template labels %v annotations %v", tmpl.Labels, tmpl.Annotations)
	}
	pod := tmpl.Spec.PodSpec
	if len(pod.Volumes) != 2 || pod.Volumes[0].ConfigMap == nil || pod.Volumes[0].ConfigMap.Name != "payments-config" || pod.Volumes[1].Secret == nil {
		t.Errorf("volumes %+v", pod.Volumes)
	}
	if len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != "registry-pull" {
		t.Errorf("imagePullSecrets %+v", pod.ImagePullSecrets)
	}
	c := pod.Containers[0]
	if len(c.VolumeMounts) != 2 || c.VolumeMounts[1].MountPath != "/etc/tls" || c.SecurityContext == nil || c.SecurityContext.RunAsNonRoot == nil || !*c.SecurityContext.RunAsNonRoot {
		t.Errorf("container mounts %+v security %+v", c.VolumeMounts, c.SecurityContext)
	}
}
