package app

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"
	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
	"knapp.dev/knapp/pkg/resources/names"
	netapi "knative.dev/networking/pkg/apis/networking"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// reconcileRoutes makes knapp's VirtualService match the plan. It runs
// before the Knative Service is written, so that the two hand the external
// host over without a gap:
//   - to knapp's routes: the VirtualService binds the host first; only then
//     is the Knative Service made cluster-local (d.routesInPlace);
//   - back to Knative: the Knative Service turns external first; the
//     VirtualService is deleted only once Knative reports it serves the host.
func (r *Reconciler) reconcileRoutes(ctx context.Context, app *v1alpha1.App, d *desired, ksvc *servingv1.Service) error {
	existing := &istiov1.VirtualService{}
	key := types.NamespacedName{Namespace: app.Namespace, Name: names.VirtualService(app)}
	err := r.Client.Get(ctx, key, existing)
	switch {
	case apierrors.IsNotFound(err):
		existing = nil
	case err != nil:
		return r.markRoutesError(app, fmt.Errorf("reading VirtualService %s: %w", key.Name, err))
	case !metav1.IsControlledBy(existing, app):
		markRoutesNotOwned(app, key)
		return nil
	}

	if !d.routed() {
		return r.removeRoutes(ctx, app, d, existing, ksvc)
	}
	want := resources.MakeVirtualService(app, d.plan, r.Platform)
	if existing == nil {
		if err := r.Client.Create(ctx, want); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return r.alreadyExists(ctx, app, key)
			}
			return r.markRoutesError(app, fmt.Errorf("creating VirtualService %s: %w", key.Name, err))
		}
		r.Recorder.Eventf(app, want, corev1.EventTypeNormal, eventCreated, actionCreateChild,
			"Created VirtualService %s: %d match rule(s) route %s to the canary", want.Name, len(d.plan.Canary.Match), want.Spec.Hosts[0])
	} else if !virtualServiceEqual(existing, want) {
		updated := existing.DeepCopy()
		updated.Spec = *want.Spec.DeepCopy()
		updated.Labels = mergeOwned(updated.Labels, want.Labels, []string{v1alpha1.LabelApp})
		if err := r.Client.Update(ctx, updated); err != nil {
			if apierrors.IsConflict(err) {
				return err
			}
			return r.markRoutesError(app, fmt.Errorf("updating VirtualService %s: %w", key.Name, err))
		}
		r.Recorder.Eventf(app, updated, corev1.EventTypeNormal, eventUpdated, actionUpdateChild,
			"Updated VirtualService %s to match the App's release", updated.Name)
	}
	d.routesInPlace = true
	app.Status.MarkRoutes(metav1.ConditionTrue, v1alpha1.ReasonReady, fmt.Sprintf(
		"VirtualService %s routes %s: %d match rule(s) to the canary, the rest to Knative's split.", key.Name, want.Spec.Hosts[0], len(d.plan.Canary.Match)))
	return nil
}

// removeRoutes deletes knapp's VirtualService once nothing needs it: the App
// has no match rules (or lost its host) and Knative serves the host again.
func (r *Reconciler) removeRoutes(ctx context.Context, app *v1alpha1.App, d *desired, existing *istiov1.VirtualService, ksvc *servingv1.Service) error {
	if existing == nil {
		app.Status.ClearCondition(v1alpha1.ConditionRoutesReady)
		return nil
	}
	if d.holdsHost && !knativeServesHost(ksvc, names.ExternalHost(app, r.Platform)) {
		// Keep the Service cluster-local-safe: the VirtualService serves the
		// host until Knative's own route does.
		app.Status.MarkRoutes(metav1.ConditionUnknown, v1alpha1.ReasonDeploying, fmt.Sprintf(
			"Waiting for Knative to serve %s before removing VirtualService %s.", names.ExternalHost(app, r.Platform), existing.Name))
		return nil
	}
	if err := r.Client.Delete(ctx, existing); err != nil && !apierrors.IsNotFound(err) {
		return r.markRoutesError(app, fmt.Errorf("deleting VirtualService %s: %w", existing.Name, err))
	}
	r.Recorder.Eventf(app, existing, corev1.EventTypeNormal, eventDeleted, actionDeleteChild,
		"Deleted VirtualService %s: Knative's routes serve the App", existing.Name)
	app.Status.ClearCondition(v1alpha1.ConditionRoutesReady)
	return nil
}

// knativeServesHost reports whether the Knative Service is external, Knative
// reports the host as its URL and its routes as ready, so knapp's routes
// can go. The URL alone is not enough: Knative's route reconciler sets it
// before the ingress is programmed (RoutesReady Unknown, IngressNotConfigured).
func knativeServesHost(ksvc *servingv1.Service, host string) bool {
	if ksvc == nil || ksvc.Labels[netapi.VisibilityLabelKey] == serving.VisibilityClusterLocal {
		return false
	}
	return ksvc.Status.ObservedGeneration == ksvc.Generation && ksvc.Status.URL != nil && ksvc.Status.URL.Host == host &&
		ksvc.Status.GetCondition(servingv1.ServiceConditionRoutesReady).IsTrue()
}

// alreadyExists resolves a create that found the name taken: the cache only
// holds VirtualServices with knapp's label, so read the live object to tell a
// foreign one from knapp's own that the cache has not seen yet.
func (r *Reconciler) alreadyExists(ctx context.Context, app *v1alpha1.App, key types.NamespacedName) error {
	live := &istiov1.VirtualService{}
	if err := r.APIReader.Get(ctx, key, live); err != nil {
		return r.markRoutesError(app, fmt.Errorf("reading VirtualService %s: %w", key.Name, err))
	}
	if metav1.IsControlledBy(live, app) {
		return fmt.Errorf("VirtualService %s exists but is not in the cache yet; retrying", key.Name)
	}
	markRoutesNotOwned(app, key)
	return nil
}

func markRoutesNotOwned(app *v1alpha1.App, key types.NamespacedName) {
	app.Status.MarkNotOwned(v1alpha1.ConditionRoutesReady, "VirtualService", key, "Delete or rename it.")
}

// virtualServiceEqual compares what knapp owns of a VirtualService. Istio
// specs are protocol buffers, compared as such.
func virtualServiceEqual(existing, want *istiov1.VirtualService) bool {
	return proto.Equal(&existing.Spec, &want.Spec) &&
		ownedMetadataEqual(existing.Labels, want.Labels, []string{v1alpha1.LabelApp})
}

func (r *Reconciler) markRoutesError(app *v1alpha1.App, err error) error {
	app.Status.MarkRoutes(metav1.ConditionFalse, v1alpha1.ReasonAPIError, err.Error())
	return err
}
