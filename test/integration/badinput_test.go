package integration

import (
	"context"
	"fmt"
	corev1 "k8s.io/api/core/v1"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// What the CRD schema can check is refused at admission, with the field
// and what is allowed.
func TestAdmissionRefusesBadApps(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	tests := []struct {
		name string
		app  *v1alpha1.App
		want []string
	}{
		{"canary percent over 100", newApp(ns, "a", func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Canary: &v1alpha1.Canary{Revision: "a-1", Percent: 150}}
		}), []string{"spec.release.canary.percent", "100"}},
		{"neither image nor build", newApp(ns, "b", func(a *v1alpha1.App) { a.Spec.Image = "" }),
			[]string{"spec", "spec.image", "spec.build"}},
		{"name too long for revision names", newApp(ns, "a-very-long-app-name-that-would-overflow-knatives-names", func(a *v1alpha1.App) { a.Spec.Domain = nil }),
			[]string{"metadata.name", "49"}},
		{"logs at the root", newApp(ns, "c", func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/"} }),
			[]string{"spec.logs.path", "not / itself"}},
		{"min above max scale", newApp(ns, "d", func(a *v1alpha1.App) {
			three, two := int32(3), int32(2)
			a.Spec.Scaling = &v1alpha1.Scaling{MinScale: &three, MaxScale: &two}
		}), []string{"spec.scaling", "minScale must not be above maxScale"}},
		{"unknown metric", newApp(ns, "e", func(a *v1alpha1.App) {
			a.Spec.Scaling = &v1alpha1.Scaling{Metric: "latency"}
		}), []string{"spec.scaling.metric", "concurrency", "rps", "cpu", "memory"}},
		{"header name not a lower-case token", newApp(ns, "f", func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Canary: &v1alpha1.Canary{Revision: "f-1", Match: []v1alpha1.MatchRule{
				{Headers: map[string]v1alpha1.StringMatch{"X-Canary": {Exact: ptr.To("true")}}}}}}
		}), []string{"spec.release.canary.match[0].headers", "lower-case HTTP tokens"}},
		{"canary equal to stable", newApp(ns, "g", func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Stable: "g-1", Canary: &v1alpha1.Canary{Revision: "g-1"}}
		}), []string{"spec.release", "canary.revision must differ from stable"}},
		{"string match with two ways", newApp(ns, "h", func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Canary: &v1alpha1.Canary{Revision: "h-1", Match: []v1alpha1.MatchRule{
				{Path: &v1alpha1.StringMatch{Exact: ptr.To("/a"), Prefix: ptr.To("/b")}}}}}
		}), []string{"spec.release.canary.match[0].path", "exactly one of exact, prefix or regex"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), tc.app)
			if err == nil {
				t.Fatal("the apiserver accepted it")
			}
			if !contains(err.Error(), tc.want...) {
				t.Errorf("error %q should contain %q", err, tc.want)
			}
		})
	}
}

// What only knapp can check is reported in status, naming the field; the
// App's other Apps are unaffected.
func TestBadAppReportsInStatusAndOthersCarryOn(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	bad := newApp(ns, "bad", func(a *v1alpha1.App) { a.Spec.Image = "registry.example.com/UPPER/case:1" })
	good := newApp(ns, "good")
	create(t, bad)
	create(t, good)

	got := waitForApp(t, client.ObjectKeyFromObject(bad), conditionIs(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInvalidSpec))
	if msg := got.Status.GetCondition(v1alpha1.ConditionReady).Message; !contains(msg, "spec.image", "not a valid image reference") {
		t.Errorf("message %q", msg)
	}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(bad), &servingv1.Service{}); err == nil {
		t.Error("a Knative Service was made for an App with a bad image")
	}
	waitForService(t, client.ObjectKeyFromObject(good), anyService)
	events := eventsFor(t, bad)
	if len(events) == 0 || events[0].Type != "Warning" || events[0].Reason != v1alpha1.ReasonInvalidSpec {
		t.Errorf("want a Warning event with reason InvalidSpec, got %+v", events)
	}
}

// Match rules the schema cannot check (RE2 syntax, paths) are reported in
// status, every field named, and nothing is written.
func TestInvalidMatchRulesReportedInStatus(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	app := newApp(ns, "shop", func(a *v1alpha1.App) {
		a.Spec.Release = &v1alpha1.Release{Canary: &v1alpha1.Canary{Revision: "shop-1", Match: []v1alpha1.MatchRule{
			{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Regex: ptr.To("(unclosed")}}},
			{Path: &v1alpha1.StringMatch{Prefix: ptr.To("beta/")}},
		}}}
	})
	create(t, app)
	key := client.ObjectKeyFromObject(app)
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInvalidSpec))
	msg := got.Status.GetCondition(v1alpha1.ConditionReady).Message
	if !contains(msg, "spec.release.canary.match[0].headers[x-canary].regex", "RE2", "spec.release.canary.match[1].path.prefix", "must start with /") {
		t.Errorf("message %q should name both fields and what is allowed", msg)
	}
	if err := k8s.Get(context.Background(), key, &servingv1.Service{}); err == nil {
		t.Error("a Knative Service was made for an App with invalid match rules")
	}
}

// An environment the platform does not define is reported; fixing the
// namespace's label fixes the App without touching it.
func TestUnknownEnvironment(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, map[string]string{"knapp.dev/environment": "qa"})
	app := newApp(ns, "shop")
	create(t, app)
	key := client.ObjectKeyFromObject(app)
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonUnknownEnvironment))
	if msg := got.Status.GetCondition(v1alpha1.ConditionReady).Message; !contains(msg, ns, `knapp.dev/environment="qa"`, "dev, prod, staging") {
		t.Errorf("message %q", msg)
	}

	eventually(t, "relabelling the namespace", func(ctx context.Context) error {
		nsObj := &corev1Namespace{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
			return err
		}
		nsObj.Labels["knapp.dev/environment"] = "prod"
		return k8s.Update(ctx, nsObj)
	})
	waitForService(t, key, func(s *servingv1.Service) error {
		if s.Spec.Template.Annotations["autoscaling.knative.dev/min-scale"] != "1" {
			return errorf("min-scale %q", s.Spec.Template.Annotations["autoscaling.knative.dev/min-scale"])
		}
		return nil
	})
}

// An App with logs in a namespace whose Pod Security level forbids hostPath
// says so, instead of its pods silently never starting; so does one in a
// namespace that allows every hostPath without knapp's policy; relabelling
// the namespace fixes it.
func TestLogsReadyFollowsPodSecurity(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, map[string]string{"pod-security.kubernetes.io/enforce": "baseline"})
	app := newApp(ns, "shop", func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/app/logs"} })
	create(t, app)
	key := client.ObjectKeyFromObject(app)
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionLogsReady, metav1.ConditionFalse, "PodSecurityBaseline"))
	if msg := got.Status.GetCondition(v1alpha1.ConditionLogsReady).Message; !contains(msg, ns, "baseline", "pod-security.kubernetes.io/enforce") {
		t.Errorf("message %q", msg)
	}
	if err := conditionIs(v1alpha1.ConditionReady, metav1.ConditionFalse, "PodSecurityBaseline")(got); err != nil {
		t.Error(err)
	}
	// The Service is still made; its pods would be refused, which status says.
	ksvc := waitForService(t, key, anyService)
	if ksvc.Spec.Template.Labels[v1alpha1.LabelLogs] != "true" {
		t.Errorf("template labels %v: the pod webhook would not select the pods", ksvc.Spec.Template.Labels)
	}

	eventually(t, "relabelling the namespace", func(ctx context.Context) error {
		nsObj := &corev1Namespace{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
			return err
		}
		nsObj.Labels["pod-security.kubernetes.io/enforce"] = "privileged"
		return k8s.Update(ctx, nsObj)
	})
	// privileged alone lets every pod mount any node path: knapp says so.
	got = waitForApp(t, key, conditionIs(v1alpha1.ConditionLogsReady, metav1.ConditionFalse, v1alpha1.ReasonPodSecurityUnguarded))
	if msg := got.Status.GetCondition(v1alpha1.ConditionLogsReady).Message; !contains(msg, ns, "privileged", "knapp.dev/pod-security=baseline") {
		t.Errorf("message %q", msg)
	}
	eventually(t, "labelling the namespace for knapp's policy", func(ctx context.Context) error {
		nsObj := &corev1Namespace{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
			return err
		}
		nsObj.Labels[v1alpha1.LabelPodSecurity] = v1alpha1.LabelPodSecurityBaseline
		return k8s.Update(ctx, nsObj)
	})
	got = waitForApp(t, key, conditionIs(v1alpha1.ConditionLogsReady, metav1.ConditionTrue, v1alpha1.ReasonReady))
	if msg := got.Status.GetCondition(v1alpha1.ConditionLogsReady).Message; !contains(msg, "/var/log/knapp/"+ns+"/shop", "/app/logs") {
		t.Errorf("message %q", msg)
	}

	updateApp(t, key, func(a *v1alpha1.App) { a.Spec.Logs = nil })
	waitForApp(t, key, func(a *v1alpha1.App) error {
		if a.Status.GetCondition(v1alpha1.ConditionLogsReady) != nil {
			return errorf("LogsReady still reported: %+v", a.Status.Conditions)
		}
		return nil
	})
}

// An image pull Secret that does not exist is named in ServiceReady (the
// kubelet would pull without it and fail, over and over); once it exists
// the App goes on by itself (retried with backoff: nothing watches Secrets).
func TestMissingPullSecretIsNamed(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	a := newApp(ns, "payments", func(a *v1alpha1.App) {
		a.Spec.Template.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry-pull"}}
	})
	create(t, a)
	got := waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionServiceReady, metav1.ConditionFalse, v1alpha1.ReasonPullSecretNotFound))
	if msg := got.Status.GetCondition(v1alpha1.ConditionServiceReady).Message; !contains(msg, "spec.template.imagePullSecrets[0] registry-pull", ns) {
		t.Errorf("message %q should name the field, the Secret and the namespace", msg)
	}
	// The Knative Service is made all the same: the image may be public.
	waitForService(t, client.ObjectKeyFromObject(a), anyService)

	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "registry-pull"}, Type: corev1.SecretTypeDockerConfigJson,
		StringData: map[string]string{corev1.DockerConfigJsonKey: `{"auths":{}}`}})
	waitForApp(t, client.ObjectKeyFromObject(a), func(a *v1alpha1.App) error {
		if c := a.Status.GetCondition(v1alpha1.ConditionServiceReady); c == nil || c.Reason == v1alpha1.ReasonPullSecretNotFound {
			return fmt.Errorf("ServiceReady is %+v", c)
		}
		return nil
	})
}
