package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
//     is the Knative Service made cluster-local (s.routesInPlace);
//   - back to Knative: the Knative Service turns external first; the
//     VirtualService is deleted only once Knative reports it serves the host.
func (r *Reconciler) reconcileRoutes(ctx context.Context, s *state) (outcome, error) {
	app, existing := s.app, s.observed.virtualService
	key := types.NamespacedName{Namespace: app.Namespace, Name: names.VirtualService(app)}
	switch {
	case s.observed.virtualServiceErr != nil:
		return outcome{}, s.observed.virtualServiceErr
	case existing != nil && !metav1.IsControlledBy(existing, app):
		return outcome{}, virtualServiceNotOwned(key)
	}

	if !s.routed() {
		return r.removeRoutes(ctx, s, existing)
	}
	want := resources.MakeVirtualService(app, s.desired.plan, r.Platform)
	written := existing
	if existing == nil {
		if err := r.Client.Create(ctx, want); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return outcome{}, r.alreadyExists(ctx, app, key)
			}
			return outcome{}, fmt.Errorf("creating VirtualService %s: %w", key.Name, err)
		}
		r.Recorder.Eventf(app, want, corev1.EventTypeNormal, eventCreated, actionCreateChild,
			"Created VirtualService %s: %s", want.Name, routesSummary(s.desired.plan, want.Spec.Hosts[0]))
		written = want
	} else if !virtualServiceEqual(existing, want) {
		updated := existing.DeepCopy()
		updated.Spec = *want.Spec.DeepCopy()
		updated.Labels = resources.MergeOwned(updated.Labels, want.Labels, resources.VirtualServiceOwnedLabelKeys)
		if err := r.Client.Update(ctx, updated); err != nil {
			if apierrors.IsConflict(err) {
				return outcome{}, requeue(err)
			}
			return outcome{}, fmt.Errorf("updating VirtualService %s: %w", key.Name, err)
		}
		r.Recorder.Eventf(app, updated, corev1.EventTypeNormal, eventUpdated, actionUpdateChild,
			"Updated VirtualService %s to match the App's release", updated.Name)
	}
	// In place: the Knative Service may go cluster-local, which is what
	// makes Knative's own VirtualService let go of the host.
	s.routesInPlace = true
	if shadowing, err := r.shadowingRoutes(ctx, written); err != nil || len(shadowing) > 0 {
		// Nothing knapp watches changes when they go (the cache holds only
		// knapp's VirtualServices), so look again shortly.
		s.wakeAfter(shadowedRecheck)
		return progressing(v1alpha1.ReasonRoutesShadowed, fmt.Sprintf(
			"VirtualService %s binds %s, but so does %s on the same gateway, and Istio merges their routes so that its route answers requests knapp's should; waiting for it to let go of the host (Knative's does once the Service is cluster-local).",
			key.Name, want.Spec.Hosts[0], strings.Join(shadowing, ", "))), err
	}
	return ready(fmt.Sprintf("VirtualService %s routes %s.", key.Name, routesSummary(s.desired.plan, want.Spec.Hosts[0]))), nil
}

// shadowedRecheck is how soon knapp looks again at VirtualServices that
// shadow its routes: a handover lasts as long as Knative takes to program
// its ingress without the host.
const shadowedRecheck = 5 * time.Second

// routesSummary says in words what knapp's routes do with the host.
func routesSummary(plan resources.ReleasePlan, host string) string {
	rules := len(plan.Canary.Match)
	if plan.Sticky {
		return fmt.Sprintf("%s: %d match rule(s) to the canary, the rest split %d/%d between the stable and the canary, each visitor kept on the revision they got (cookie %s)",
			host, rules, 100-plan.Canary.Percent, plan.Canary.Percent, resources.StickyCookie)
	}
	return fmt.Sprintf("%s: %d match rule(s) to the canary, the rest to Knative's split", host, rules)
}

// shadowingRoutes lists the other VirtualServices of the namespace that
// bind our host on our gateway (resources.ShadowingVirtualServices).
// The cache holds only knapp's, so this reads the API; tenants may not
// write VirtualServices, so the App's namespace holds every one that can
// bind its host: Knative's own among them.
func (r *Reconciler) shadowingRoutes(ctx context.Context, ours *istiov1.VirtualService) ([]string, error) {
	list := &istiov1.VirtualServiceList{}
	if err := r.APIReader.List(ctx, list, client.InNamespace(ours.Namespace)); err != nil {
		return nil, fmt.Errorf("listing the VirtualServices of namespace %s: %w", ours.Namespace, err)
	}
	return resources.ShadowingVirtualServices(ours, list.Items), nil
}

// removeRoutes deletes knapp's VirtualService once nothing needs it: the App
// has no match rules (or lost its host) and Knative serves the host again.
func (r *Reconciler) removeRoutes(ctx context.Context, s *state, existing *istiov1.VirtualService) (outcome, error) {
	app := s.app
	if existing == nil {
		return cleared, nil
	}
	if s.holdsHost && !knativeServesHost(s.observed.service, names.ExternalHost(app, r.Platform)) {
		// Keep the Service cluster-local-safe: the VirtualService serves the
		// host until Knative's own route does.
		return progressing(v1alpha1.ReasonDeploying, fmt.Sprintf(
			"Waiting for Knative to serve %s before removing VirtualService %s.", names.ExternalHost(app, r.Platform), existing.Name)), nil
	}
	if err := r.Client.Delete(ctx, existing); err != nil && !apierrors.IsNotFound(err) {
		return outcome{}, fmt.Errorf("deleting VirtualService %s: %w", existing.Name, err)
	}
	r.Recorder.Eventf(app, existing, corev1.EventTypeNormal, eventDeleted, actionDeleteChild,
		"Deleted VirtualService %s: Knative's routes serve the App", existing.Name)
	return cleared, nil
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
		return fmt.Errorf("reading VirtualService %s: %w", key.Name, err)
	}
	if metav1.IsControlledBy(live, app) {
		return requeue(fmt.Errorf("VirtualService %s exists but is not in the cache yet; retrying", key.Name))
	}
	return virtualServiceNotOwned(key)
}

func virtualServiceNotOwned(key types.NamespacedName) error {
	return notOwned("VirtualService", key, "Delete or rename it.")
}

// virtualServiceEqual compares what knapp owns of a VirtualService. Istio
// specs are protocol buffers, compared as such.
func virtualServiceEqual(existing, want *istiov1.VirtualService) bool {
	return proto.Equal(&existing.Spec, &want.Spec) &&
		resources.OwnedMetadataEqual(existing.Labels, want.Labels, resources.VirtualServiceOwnedLabelKeys)
}
