package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/test/stack"
)

// appResult is what knapp made of one sample App.
type appResult struct {
	key     types.NamespacedName
	app     *unstructured.Unstructured // nil if it could not be read
	service *unstructured.Unstructured // the App's Knative Service, nil if none yet
	// revisions are the Knative Service's Revisions, oldest first (only
	// with Knative's controller running).
	revisions []unstructured.Unstructured
	problem   string // why it has not converged; "" once it has
	note      string // why a converged App has no Knative Service
}

// waitForApps polls until every App has a Knative Service and a status for
// its current generation (and, with Knative's controller running, a
// Revision of the name knapp gave the Service's template, which the App's
// status reports), the timeout passes, one of procs exits or ctx ends. It
// returns the last state of each App, and an error naming those that did
// not converge.
func waitForApps(ctx context.Context, c client.Client, apps []types.NamespacedName, timeout time.Duration, procs []*stack.Process, knative bool) ([]appResult, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		results := make([]appResult, len(apps))
		var pending []string
		for i, key := range apps {
			results[i] = observeApp(ctx, c, key, knative)
			if results[i].problem != "" {
				pending = append(pending, fmt.Sprintf("App %s: %s", key, results[i].problem))
			}
		}
		if len(pending) == 0 {
			return results, nil
		}
		notConverged := func(why string) error {
			return fmt.Errorf("%w (%s):\n  %s", errNotConverged, why, strings.Join(pending, "\n  "))
		}
		if p := firstExited(procs); p != nil {
			return results, errors.Join(notConverged(p.Name+" exited"), p.ExitError())
		}
		select {
		case <-tick.C:
			continue
		case <-deadline.C:
			return results, notConverged(fmt.Sprintf("after %s", timeout))
		case <-ctx.Done():
			return results, notConverged("interrupted")
		}
	}
}

// firstExited is the first of procs that has exited, or nil.
func firstExited(procs []*stack.Process) *stack.Process {
	for _, p := range procs {
		select {
		case <-p.Exited():
			return p
		default:
		}
	}
	return nil
}

func observeApp(ctx context.Context, c client.Client, key types.NamespacedName, knative bool) appResult {
	r := appResult{key: key}
	app := &unstructured.Unstructured{}
	app.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("App"))
	if err := c.Get(ctx, key, app); err != nil {
		r.problem = "reading it: " + err.Error()
		return r
	}
	r.app = app
	svc, err := knativeServiceOf(ctx, c, app)
	if err != nil {
		r.problem = "reading its Knative Service: " + err.Error()
		return r
	}
	r.service = svc
	observed, found, _ := unstructured.NestedInt64(app.Object, "status", "observedGeneration")
	switch {
	case svc == nil && !waitingForBuild(app):
		r.problem = "no Knative Service yet"
	case !found || observed != app.GetGeneration():
		r.problem = fmt.Sprintf("status.observedGeneration is %d, generation %d", observed, app.GetGeneration())
	case svc == nil:
		// Dev has no Argo Workflows controller, so the first build never
		// runs; knapp reporting that is all there is to wait for.
		r.note = "no Knative Service: knapp waits for the App's first build (dev runs no Argo Workflows controller)"
	case knative:
		r.revisions, r.problem = observeRevisions(ctx, c, app, svc)
	}
	return r
}

// waitingForBuild reports whether knapp says the App has no image to run
// until its first build succeeds.
func waitingForBuild(app *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(app.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == v1alpha1.ConditionServiceReady && m["reason"] == v1alpha1.ReasonWaitingForBuild {
			return true
		}
	}
	return false
}

// knativeServiceOf finds the App's Knative Service: the one the App
// controls, or failing that one of the same name, whatever knapp names it.
func knativeServiceOf(ctx context.Context, c client.Client, app *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(servingv1.SchemeGroupVersion.WithKind("ServiceList"))
	if err := c.List(ctx, list, client.InNamespace(app.GetNamespace())); err != nil {
		return nil, err
	}
	var sameName *unstructured.Unstructured
	for i := range list.Items {
		svc := &list.Items[i]
		for _, ref := range svc.GetOwnerReferences() {
			if ref.UID == app.GetUID() && ref.Controller != nil && *ref.Controller {
				return svc, nil
			}
		}
		if svc.GetName() == app.GetName() {
			sameName = svc
		}
	}
	return sameName, nil
}
