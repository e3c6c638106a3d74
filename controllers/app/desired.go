package app

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
	"knapp.dev/knapp/pkg/resources/names"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// desired is what an App asks for, computed once per reconcile and shared
// by the steps that write.
type desired struct {
	// template is the revision template; its name is its content hash.
	template servingv1.RevisionTemplateSpec
	// plan is who takes traffic.
	plan resources.ReleasePlan
	// revisions are the App's revisions that exist.
	revisions []servingv1.Revision
	// holdsHost: the App holds its platform host (set by reconcileDomain).
	holdsHost bool
	// routesInPlace: knapp's VirtualService binds the external host (set by
	// reconcileRoutes), so the Knative Service may be cluster-local.
	routesInPlace bool
}

// routed reports whether knapp's own routes should serve the App's host.
func (d *desired) routed() bool {
	return d.plan.Routed() && d.holdsHost
}

// computeDesired reads what the App's objects depend on besides the App and
// runs the pure builders; builtImage is the newest successful build's. An
// error here leaves every child untouched.
func (r *Reconciler) computeDesired(ctx context.Context, app *v1alpha1.App, builtImage string) (*desired, error) {
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, types.NamespacedName{Name: app.Namespace}, ns); err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", app.Namespace, err)
	}
	env, err := r.Platform.EnvironmentFor(ns.Name, ns.Labels)
	if err != nil {
		return nil, err
	}
	revisions := &servingv1.RevisionList{}
	if err := r.Client.List(ctx, revisions, client.InNamespace(app.Namespace),
		client.MatchingLabels{serving.ServiceLabelKey: names.KnativeService(app), v1alpha1.LabelApp: app.Name}); err != nil {
		return nil, fmt.Errorf("listing revisions of %s: %w", names.KnativeService(app), err)
	}
	tmpl, err := resources.MakeRevisionTemplate(app, env, builtImage)
	if err != nil {
		return nil, err
	}
	known := sets.New(tmpl.Name)
	for i := range revisions.Items {
		known.Insert(revisions.Items[i].Name)
	}
	plan, err := resources.PlanRelease(app.Spec.Release, known)
	if err != nil {
		return nil, err
	}
	return &desired{template: tmpl, plan: plan, revisions: revisions.Items}, nil
}
