package integration

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"knapp.dev/knapp/api/v1alpha1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// Once an App is in place, a reconcile that finds nothing changed writes
// nothing: not the Knative Service (which Knative's webhook defaulted in
// the apiserver), not the App's status, not an event. A change writes once.
func TestSteadyStateWritesNothing(t *testing.T) {
	t.Parallel()
	app, _ := readyApp(t, map[string]string{"knapp.dev/environment": "prod"})
	key, ns := client.ObjectKeyFromObject(app), app.Namespace

	// The writes of creation: the Service once, and the status for each
	// state it passed through: Deploying; the new revision in
	// status.revisions; Ready. The last two are one write when Knative's
	// revision and its Ready status reach knapp in one reconcile.
	assertWrites(t, ns, map[string][2]int{"create Service": {1, 1}, "patch App (status)": {2, 3}})

	start := len(writes.inNamespace(ns))
	assertSteadyStateWritesNothing(t, app)

	// A change of the image: one Service update, one status patch.
	updateApp(t, key, func(a *v1alpha1.App) { a.Spec.Image = "registry.example.com/shop:1.0.1" })
	waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionUnknown, v1alpha1.ReasonDeploying))
	got := writes.inNamespace(ns)[start:]
	if len(got) != 2 || got[0].String() != "update Service "+ns+"/shop" || got[1].String() != "patch App "+ns+"/shop (status)" {
		t.Fatalf("an image change wrote %v, want one Service update and one status patch", got)
	}
}

// assertSteadyStateWritesNothing reconciles a settled App three times and
// checks that knapp wrote nothing and emitted no event.
func assertSteadyStateWritesNothing(t *testing.T, app *v1alpha1.App) {
	t.Helper()
	key, ns := client.ObjectKeyFromObject(app), app.Namespace
	waitForCacheToCatchUp(t, key)
	start := len(writes.inNamespace(ns))
	startEvents := recorder.about(ns, app.Name)
	for range 3 {
		if _, err := reconciler.Reconcile(context.Background(), reconcile.Request{NamespacedName: key}); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
	}
	if extra := writes.inNamespace(ns)[start:]; len(extra) != 0 {
		t.Fatalf("reconciles with nothing changed wrote: %v", extra)
	}
	if n := recorder.about(ns, app.Name); n != startEvents {
		t.Fatalf("reconciles with nothing changed emitted %d events", n-startEvents)
	}
}

// waitForCacheToCatchUp waits until knapp's cache holds the App and its
// Knative Service as the apiserver does: a reconcile that reads a cache
// lagging behind the last write would compute from stale inputs, which is
// not the steady state under test.
func waitForCacheToCatchUp(t *testing.T, key client.ObjectKey) {
	t.Helper()
	eventually(t, "knapp's cache to catch up", func(ctx context.Context) error {
		for _, pair := range [][2]client.Object{{&v1alpha1.App{}, &v1alpha1.App{}}, {&servingv1.Service{}, &servingv1.Service{}}} {
			if err := k8s.Get(ctx, key, pair[0]); err != nil {
				return err
			}
			if err := reconciler.Client.Get(ctx, key, pair[1]); err != nil {
				return err
			}
			if pair[0].GetResourceVersion() != pair[1].GetResourceVersion() {
				return fmt.Errorf("%T at %s in the cache, %s in the apiserver", pair[0], pair[1].GetResourceVersion(), pair[0].GetResourceVersion())
			}
		}
		return nil
	})
}

// assertWrites checks the count of writes in ns by "verb Kind
// (subresource)", each between a minimum and a maximum.
func assertWrites(t *testing.T, ns string, want map[string][2]int) {
	t.Helper()
	got := map[string]int{}
	for _, w := range writes.inNamespace(ns) {
		k := w.Verb + " " + w.Kind
		if w.SubResource != "" {
			k += " (" + w.SubResource + ")"
		}
		got[k]++
	}
	for k, n := range want {
		if got[k] < n[0] || got[k] > n[1] {
			t.Errorf("%s: %d writes, want %d to %d (all: %v)", k, got[k], n[0], n[1], writes.inNamespace(ns))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected writes %s ×%d", k, got[k])
		}
	}
}
