package app

import (
	"context"
	"fmt"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources/names"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// hostIndex indexes Apps by the first label of the host they ask for; all
// Apps share the platform's domain, so equal labels mean equal hosts.
const hostIndex = "knapp.dev/host"

func indexHost(obj client.Object) []string {
	app, ok := obj.(*v1alpha1.App)
	if !ok {
		return nil
	}
	return []string{app.HostLabel()}
}

// reconcileDomain decides whether the App holds its host and records it in
// status.domain (or status.domainConflict) and DomainReady.
func (r *Reconciler) reconcileDomain(ctx context.Context, s *state) (outcome, error) {
	app := s.app
	host := names.ExternalHost(app, r.Platform)
	if why := r.Platform.HostProblem(app.Namespace, app.HostLabel()); why != "" {
		// Checked at admission too; here for Apps admitted before the
		// policy changed.
		app.Status.MarkHostNotAllowed(host, why)
		return outcomeOf(app.Status.GetCondition(v1alpha1.ConditionDomainReady)), nil
	}
	apps := &v1alpha1.AppList{}
	if err := r.Client.List(ctx, apps, client.MatchingFields{hostIndex: app.HostLabel()}); err != nil {
		return outcome{}, fmt.Errorf("listing Apps that ask for host %s: %w", host, err)
	}
	// An App the host policy keeps from the host holds nothing.
	candidates := slices.DeleteFunc(apps.Items, func(a v1alpha1.App) bool {
		return r.Platform.HostProblem(a.Namespace, a.HostLabel()) != ""
	})
	holder := domainHolder(candidates, app, host)
	if holder.Namespace != app.Namespace || holder.Name != app.Name {
		// Returns no error: the conflict is reported, and later steps serve
		// the App at Knative's namespaced host.
		app.Status.MarkDomainConflict(host, client.ObjectKeyFromObject(holder))
		return outcomeOf(app.Status.GetCondition(v1alpha1.ConditionDomainReady)), nil
	}
	if app.Status.Domain == nil || app.Status.Domain.Host != host {
		app.Status.Domain = &v1alpha1.DomainStatus{Host: host, ClaimedAt: metav1.Now()}
	}
	s.holdsHost = true
	others, err := r.otherRoutesServing(ctx, app, host)
	if err != nil {
		return outcome{}, err
	}
	if len(others) > 0 {
		app.Status.MarkHostServedElsewhere(host, others)
	} else {
		app.Status.MarkDomainReady(host)
	}
	return outcomeOf(app.Status.GetCondition(v1alpha1.ConditionDomainReady)), nil
}

// routeHostIndex indexes Knative Routes by the host of their status.url:
// what Knative serves them at.
const routeHostIndex = "status.url.host"

func indexRouteHost(obj client.Object) []string {
	route, ok := obj.(*servingv1.Route)
	if !ok || route.Status.URL == nil || route.Status.URL.Host == "" {
		return nil
	}
	return []string{route.Status.URL.Host}
}

// otherRoutesServing are the Knative Routes anywhere in the cluster that
// Knative serves at host and that are not the App's own (the Route of its
// Service, which has the App's name and namespace).
func (r *Reconciler) otherRoutesServing(ctx context.Context, app *v1alpha1.App, host string) ([]types.NamespacedName, error) {
	routes := &servingv1.RouteList{}
	if err := r.Client.List(ctx, routes, client.MatchingFields{routeHostIndex: host}); err != nil {
		return nil, fmt.Errorf("listing Knative Routes served at %s: %w", host, err)
	}
	own := types.NamespacedName{Namespace: app.Namespace, Name: names.KnativeService(app)}
	var others []types.NamespacedName
	for i := range routes.Items {
		if key := client.ObjectKeyFromObject(&routes.Items[i]); key != own {
			others = append(others, key)
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].String() < others[j].String() })
	return others, nil
}

// domainHolder picks which of the Apps asking for host holds it: one that
// already claimed it (the earliest claim), else the oldest App. Ties go by
// namespace and name, so every reconcile picks the same one. self is among
// the candidates even if the cache has not seen it yet; Apps being deleted
// are not.
func domainHolder(apps []v1alpha1.App, self *v1alpha1.App, host string) *v1alpha1.App {
	candidates := []*v1alpha1.App{self}
	for i := range apps {
		a := &apps[i]
		if (a.Namespace == self.Namespace && a.Name == self.Name) || !a.DeletionTimestamp.IsZero() {
			continue
		}
		candidates = append(candidates, a)
	}
	claim := func(a *v1alpha1.App) *metav1.Time {
		if a.Status.Domain != nil && a.Status.Domain.Host == host {
			return &a.Status.Domain.ClaimedAt
		}
		return nil
	}
	sort.SliceStable(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		ca, cb := claim(a), claim(b)
		switch {
		case ca != nil && cb == nil:
			return true
		case ca == nil && cb != nil:
			return false
		case ca != nil && !ca.Equal(cb):
			return ca.Before(cb)
		case !a.CreationTimestamp.Equal(&b.CreationTimestamp):
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		case a.Namespace != b.Namespace:
			return a.Namespace < b.Namespace
		default:
			return a.Name < b.Name
		}
	})
	return candidates[0]
}
