package main

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// observeRevisions lists the Knative Service's Revisions, oldest first, and
// says what is still missing for the App to have converged with Knative's
// controller running: the Revision named in the Service's template (knapp's
// <app>-<hash>) exists, and the App's status reports it as the latest
// created revision and lists it in status.revisions.
func observeRevisions(ctx context.Context, c client.Client, app, svc *unstructured.Unstructured) ([]unstructured.Unstructured, string) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(servingv1.SchemeGroupVersion.WithKind("RevisionList"))
	if err := c.List(ctx, list, client.InNamespace(svc.GetNamespace()),
		client.MatchingLabels{serving.ServiceLabelKey: svc.GetName()}); err != nil {
		return nil, "listing its Revisions: " + err.Error()
	}
	revs := list.Items
	sort.SliceStable(revs, func(i, j int) bool {
		a, b := revs[i].GetCreationTimestamp(), revs[j].GetCreationTimestamp()
		return a.Before(&b)
	})

	want, _, _ := unstructured.NestedString(svc.Object, "spec", "template", "metadata", "name")
	latest, _, _ := unstructured.NestedString(app.Object, "status", "latestCreatedRevisionName")
	switch {
	case want == "":
		return revs, fmt.Sprintf("Knative Service %s names no revision in its template", svc.GetName())
	case !hasRevision(revs, want):
		return revs, fmt.Sprintf("Knative has not created Revision %s yet", want)
	case latest != want:
		return revs, fmt.Sprintf("status.latestCreatedRevisionName is %q, not %s", latest, want)
	case !listsRevision(app, want):
		return revs, fmt.Sprintf("status.revisions does not list %s yet", want)
	}
	return revs, ""
}

func hasRevision(revs []unstructured.Unstructured, name string) bool {
	for _, r := range revs {
		if r.GetName() == name {
			return true
		}
	}
	return false
}

func listsRevision(app *unstructured.Unstructured, name string) bool {
	revs, _, _ := unstructured.NestedSlice(app.Object, "status", "revisions")
	for _, r := range revs {
		if m, _ := r.(map[string]any); m["name"] == name {
			return true
		}
	}
	return false
}
