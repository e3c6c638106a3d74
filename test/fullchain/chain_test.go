package fullchain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"knative.dev/serving/pkg/apis/autoscaling"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/webhooks/podlogs"
)

const (
	image    = "registry.example.com/fullchain/web:1.0.0"
	logsPath = "/var/log/web"
)

// Knative's internal kinds, as unstructured: no autoscaler or networking
// layer runs to act on them.
var (
	podAutoscalerGVK     = schema.GroupVersionKind{Group: "autoscaling.internal.knative.dev", Version: "v1alpha1", Kind: "PodAutoscaler"}
	serverlessServiceGVK = schema.GroupVersionKind{Group: "networking.internal.knative.dev", Version: "v1alpha1", Kind: "ServerlessService"}
	ingressGVK           = schema.GroupVersionKind{Group: "networking.internal.knative.dev", Version: "v1alpha1", Kind: "Ingress"}
)

// TestAppToRunningPod follows one App with spec.logs link by link to a
// Running pod that carries knapp's log volume, and then records where the
// chain stops.
func TestAppToRunningPod(t *testing.T) {
	ctx := context.Background()
	started := time.Now()
	ns := "fullchain"
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	// minScale 1: what a cluster would keep running too. Here the pod comes
	// from Knative's initial scale (1), since no autoscaler acts on it.
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: v1alpha1.AppSpec{
			Image:   image,
			Logs:    &v1alpha1.Logs{Path: logsPath},
			Scaling: &v1alpha1.Scaling{MinScale: ptr.To[int32](1)},
		},
	}
	if err := k8s.Create(ctx, app); err != nil { // through knapp's App webhooks
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: ns, Name: app.Name}

	// 1. knapp writes the Knative Service; Knative's webhook binary (the
	// only Knative admission installed) defaults and admits it.
	ksvc := waitFor(t, key, &servingv1.Service{}, func(s *servingv1.Service) error {
		if err := controlledBy(s, app); err != nil {
			return err
		}
		if s.Spec.Template.Name == "" {
			return errors.New("no revision name in the template")
		}
		return nil
	})
	admittedByKnative(t, "serving.knative.dev/v1, Kind=Service", ns, ksvc.Name, "knapp")
	tmpl := ksvc.Spec.Template
	if tmpl.Spec.TimeoutSeconds == nil || *tmpl.Spec.TimeoutSeconds != 300 || tmpl.Spec.Containers[0].Name != "user-container" {
		t.Errorf("the Service's template lacks Knative's defaults (timeoutSeconds 300, container user-container): %+v", tmpl.Spec)
	}
	if got := tmpl.Annotations[autoscaling.MinScaleAnnotationKey]; got != "1" {
		t.Errorf("template annotation %s = %q, want 1", autoscaling.MinScaleAnnotationKey, got)
	}
	revName := tmpl.Name
	if !strings.HasPrefix(revName, app.Name+"-") {
		t.Errorf("revision name %q is not knapp's <app>-<hash>", revName)
	}

	// 2. Knative's controller: Configuration and Route, admitted by Knative's webhook.
	cfg := waitFor(t, key, &servingv1.Configuration{}, func(c *servingv1.Configuration) error {
		if err := controlledBy(c, ksvc); err != nil {
			return err
		}
		if c.Status.LatestCreatedRevisionName != revName {
			return fmt.Errorf("latest created revision %q, want %q", c.Status.LatestCreatedRevisionName, revName)
		}
		return nil
	})
	route := waitFor(t, key, &servingv1.Route{}, func(r *servingv1.Route) error { return controlledBy(r, ksvc) })
	admittedByKnative(t, "serving.knative.dev/v1, Kind=Configuration", ns, cfg.Name, "knative-controller")
	admittedByKnative(t, "serving.knative.dev/v1, Kind=Route", ns, route.Name, "knative-controller")

	// 3. The Revision of knapp's name, admitted by Knative's webhook, whose
	// validation also refuses to change it (a dry run: nothing is stored).
	rev := waitFor(t, types.NamespacedName{Namespace: ns, Name: revName}, &servingv1.Revision{}, func(r *servingv1.Revision) error {
		if err := controlledBy(r, cfg); err != nil {
			return err
		}
		if r.Labels[v1alpha1.LabelApp] != app.Name || r.Labels[v1alpha1.LabelLogs] != "true" {
			return fmt.Errorf("labels %v lack knapp's", r.Labels)
		}
		return nil
	})
	admittedByKnative(t, "serving.knative.dev/v1, Kind=Revision", ns, revName, "knative-controller")
	changed := rev.DeepCopy()
	changed.Spec.Containers[0].Image = image + "-changed"
	// A patch, not an update: Knative's controller writes the Revision's
	// status meanwhile, and an update would meet a conflict first.
	err := k8s.Patch(ctx, changed, client.MergeFrom(rev), client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), `admission webhook "validation.webhook.serving.knative.dev" denied the request`) ||
		!strings.Contains(err.Error(), "Immutable fields changed") {
		t.Errorf("changing the Revision's image: %v, want Knative's validation to refuse it (immutable)", err)
	}

	// 4. Knative's Deployment for the Revision, at Knative's initial scale.
	deploy := waitFor(t, types.NamespacedName{Namespace: ns, Name: revName + "-deployment"}, &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		return controlledBy(d, rev)
	})
	if deploy.Spec.Replicas == nil || *deploy.Spec.Replicas != 1 {
		t.Errorf("Deployment replicas %v, want 1 (Knative's initial scale)", deploy.Spec.Replicas)
	}

	// 5. kube-controller-manager's Deployment controller makes a ReplicaSet,
	// 6. and its ReplicaSet controller the Pod, which knapp's log webhook mutated.
	rs := waitForOwned(t, ns, deploy, &appsv1.ReplicaSetList{})
	created := waitForOwned(t, ns, rs, &corev1.PodList{})
	checkLogVolume(t, created, ns, app.Name)

	// 7. kube-scheduler binds it to the fake node; 8. kwok runs it.
	pod := waitFor(t, client.ObjectKeyFromObject(created), &corev1.Pod{}, func(p *corev1.Pod) error {
		if p.Spec.NodeName != nodeName {
			return fmt.Errorf("pod on node %q, want %q; conditions %+v", p.Spec.NodeName, nodeName, p.Status.Conditions)
		}
		if p.Status.Phase != corev1.PodRunning || !podReady(p) {
			return fmt.Errorf("pod is %s, ready %t", p.Status.Phase, podReady(p))
		}
		return nil
	})
	waitFor(t, client.ObjectKeyFromObject(deploy), &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if d.Status.AvailableReplicas != 1 {
			return fmt.Errorf("%d available replicas, want 1", d.Status.AvailableReplicas)
		}
		return nil
	})
	t.Logf("App to Running pod %s on %s in %s", pod.Name, pod.Spec.NodeName, time.Since(started).Round(100*time.Millisecond))

	whereItStops(t, app, ksvc, revName)
}

// waitForOwned waits for the one object in list (a ReplicaSet or Pod list)
// that owner controls, and returns it.
func waitForOwned[L client.ObjectList](t *testing.T, ns string, owner client.Object, list L) client.Object {
	t.Helper()
	var found client.Object
	eventually(t, fmt.Sprintf("the %T item of %s", list, owner.GetName()), func(ctx context.Context) error {
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		var owned []client.Object
		switch l := any(list).(type) {
		case *appsv1.ReplicaSetList:
			for i := range l.Items {
				if controlledBy(&l.Items[i], owner) == nil {
					owned = append(owned, &l.Items[i])
				}
			}
		case *corev1.PodList:
			for i := range l.Items {
				if controlledBy(&l.Items[i], owner) == nil {
					owned = append(owned, &l.Items[i])
				}
			}
		}
		if len(owned) != 1 {
			return fmt.Errorf("%d owned by %s, want 1", len(owned), owner.GetName())
		}
		found = owned[0]
		return nil
	})
	return found
}

// checkLogVolume checks what knapp's pod webhook adds (webhooks/podlogs)
// to a pod the ReplicaSet controller created.
func checkLogVolume(t *testing.T, obj client.Object, ns, app string) {
	t.Helper()
	pod := obj.(*corev1.Pod)
	want := platform.Default().LogRoot + "/" + ns + "/" + app
	var vol *corev1.Volume
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == podlogs.VolumeName {
			vol = &pod.Spec.Volumes[i]
		}
	}
	if vol == nil || vol.HostPath == nil || vol.HostPath.Path != want {
		t.Fatalf("pod %s: volume %s = %+v, want hostPath %s", pod.Name, podlogs.VolumeName, vol, want)
	}
	if got := pod.Annotations[podlogs.AnnotationHostPath]; got != want {
		t.Errorf("pod annotation %s = %q, want %q", podlogs.AnnotationHostPath, got, want)
	}
	c := pod.Spec.Containers[0]
	if c.Name != "user-container" {
		t.Fatalf("first container %q, want Knative's user-container", c.Name)
	}
	var mounted, env bool
	for _, m := range c.VolumeMounts {
		mounted = mounted || (m.Name == podlogs.VolumeName && m.MountPath == logsPath && m.SubPathExpr == "$("+podlogs.EnvPodName+")")
	}
	for _, e := range c.Env {
		env = env || (e.Name == podlogs.EnvPodName && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name")
	}
	if !mounted || !env {
		t.Errorf("user-container: mount of %s at %s with subPathExpr %t, env %s from metadata.name %t; mounts %+v",
			podlogs.VolumeName, logsPath, mounted, podlogs.EnvPodName, env, c.VolumeMounts)
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// whereItStops asserts, and logs, the state the chain settles in: no
// Knative autoscaler reconciles the PodAutoscaler, so the Revision never
// gets ResourcesAvailable or Active, the Configuration has no ready
// Revision, the Route has no traffic to program (so no Ingress is made,
// let alone reconciled) and the Knative Service and App wait for it.
func whereItStops(t *testing.T, app *v1alpha1.App, ksvc *servingv1.Service, revName string) {
	t.Helper()
	ns := app.Namespace
	key := client.ObjectKeyFromObject(app)
	// The Revision has seen its ready pod (ContainerHealthy comes from the
	// Deployment's ready replicas) and still waits for its PodAutoscaler.
	rev := waitFor(t, types.NamespacedName{Namespace: ns, Name: revName}, &servingv1.Revision{}, func(r *servingv1.Revision) error {
		return errors.Join(
			knativeCondition(r.Status.Status, servingv1.RevisionConditionContainerHealthy, "True", "*"),
			knativeCondition(r.Status.Status, servingv1.RevisionConditionResourcesAvailable, "Unknown", "Deploying"),
			knativeCondition(r.Status.Status, servingv1.RevisionConditionActive, "Unknown", "Deploying"),
			knativeCondition(r.Status.Status, apis.ConditionReady, "Unknown", "Deploying"))
	})
	cfg := waitFor(t, key, &servingv1.Configuration{}, func(c *servingv1.Configuration) error {
		if c.Status.LatestReadyRevisionName != "" {
			return fmt.Errorf("latest ready revision %q", c.Status.LatestReadyRevisionName)
		}
		return knativeCondition(c.Status.Status, apis.ConditionReady, "Unknown", "*")
	})
	route := waitFor(t, key, &servingv1.Route{}, func(r *servingv1.Route) error {
		return errors.Join(
			knativeCondition(r.Status.Status, servingv1.RouteConditionAllTrafficAssigned, "Unknown", "RevisionMissing"),
			knativeCondition(r.Status.Status, servingv1.RouteConditionIngressReady, "Unknown", "IngressNotConfigured"),
			knativeCondition(r.Status.Status, apis.ConditionReady, "Unknown", "RevisionMissing"))
	})
	ksvc = waitFor(t, key, &servingv1.Service{}, func(s *servingv1.Service) error {
		return knativeCondition(s.Status.Status, apis.ConditionReady, "Unknown", "RevisionMissing")
	})
	got := waitFor(t, key, &v1alpha1.App{}, func(a *v1alpha1.App) error {
		return errors.Join(
			appCondition(a, v1alpha1.ConditionLogsReady, metav1.ConditionTrue, "Ready"),
			appCondition(a, v1alpha1.ConditionServiceReady, metav1.ConditionUnknown, "RevisionMissing"),
			appCondition(a, v1alpha1.ConditionReady, metav1.ConditionUnknown, "RevisionMissing"))
	})

	// Knative's internal objects: the PodAutoscaler exists with no status
	// at all; there is no ServerlessService (the autoscaler makes it) and
	// no Ingress (the Route makes it once a Revision is ready).
	ctx := context.Background()
	pas, err := listUnstructured(ctx, podAutoscalerGVK, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(pas) != 1 || pas[0].GetName() != revName {
		t.Errorf("PodAutoscalers %v: want one, %s", pas, revName)
	} else if st, _, _ := unstructured.NestedMap(pas[0].Object, "status"); len(st) != 0 {
		t.Errorf("PodAutoscaler %s has a status, want none (no autoscaler runs): %v", revName, st)
	}
	for _, gvk := range []schema.GroupVersionKind{serverlessServiceGVK, ingressGVK} {
		objs, err := listUnstructured(ctx, gvk, ns)
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		if len(objs) != 0 {
			t.Errorf("%d %s in %s, want none", len(objs), gvk.Kind, ns)
		}
	}

	logConditions(t, "Revision "+rev.Name, rev.Status.Status)
	logConditions(t, "Configuration "+cfg.Name, cfg.Status.Status)
	logConditions(t, "Route "+route.Name, route.Status.Status)
	logConditions(t, "Knative Service "+ksvc.Name, ksvc.Status.Status)
	for _, c := range got.Status.Conditions {
		t.Logf("App %s: %s=%s %s %s", got.Name, c.Type, c.Status, c.Reason, c.Message)
	}
}

func appCondition(a *v1alpha1.App, typ string, status metav1.ConditionStatus, reason string) error {
	if a.Status.ObservedGeneration != a.Generation {
		return fmt.Errorf("App status is for generation %d, not %d", a.Status.ObservedGeneration, a.Generation)
	}
	c := a.Status.GetCondition(typ)
	if c == nil {
		return fmt.Errorf("App has no %s condition", typ)
	}
	if c.Status != status || c.Reason != reason {
		return fmt.Errorf("App %s is %s/%s (%s), want %s/%s", typ, c.Status, c.Reason, c.Message, status, reason)
	}
	return nil
}
