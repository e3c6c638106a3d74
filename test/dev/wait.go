package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// appResult is what knapp made of one sample App.
type appResult struct {
	key     types.NamespacedName
	app     *unstructured.Unstructured // nil if it could not be read
	service *unstructured.Unstructured // the App's Knative Service, nil if none yet
	problem string                     // why it has not converged; "" once it has
}

// waitForApps polls until every App has a Knative Service and a status for
// its current generation, the timeout passes, knapp exits or ctx ends. It
// returns the last state of each App, and an error naming those that did
// not converge.
func waitForApps(ctx context.Context, c client.Client, apps []types.NamespacedName, timeout time.Duration, exited <-chan struct{}) ([]appResult, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		results := make([]appResult, len(apps))
		var pending []string
		for i, key := range apps {
			results[i] = observeApp(ctx, c, key)
			if results[i].problem != "" {
				pending = append(pending, fmt.Sprintf("App %s: %s", key, results[i].problem))
			}
		}
		if len(pending) == 0 {
			return results, nil
		}
		var why string
		select {
		case <-tick.C:
			continue
		case <-deadline.C:
			why = fmt.Sprintf("after %s", timeout)
		case <-exited:
			why = "knapp exited"
		case <-ctx.Done():
			why = "interrupted"
		}
		return results, fmt.Errorf("%w (%s):\n  %s", errNotConverged, why, strings.Join(pending, "\n  "))
	}
}

func observeApp(ctx context.Context, c client.Client, key types.NamespacedName) appResult {
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
	case svc == nil:
		r.problem = "no Knative Service yet"
	case !found || observed != app.GetGeneration():
		r.problem = fmt.Sprintf("status.observedGeneration is %d, generation %d", observed, app.GetGeneration())
	}
	return r
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
