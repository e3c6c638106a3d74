package app

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	istiov1 "istio.io/client-go/pkg/apis/networking/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// CacheOptions narrows the manager's cache to what the reconciler reads:
// only the revisions, VirtualServices and Workflows knapp made (they carry
// the App label), and only Knative's own config maps. On a cluster with
// thousands of unrelated revisions and config maps this keeps knapp's
// memory proportional to its Apps. Nothing knapp reads is in the objects'
// managedFields, so the cache drops them (an update without them leaves
// the server's as they are).
func CacheOptions(cfg platform.Config) cache.Options {
	hasApp, _ := labels.NewRequirement(v1alpha1.LabelApp, selection.Exists, nil)
	return cache.Options{DefaultTransform: cache.TransformStripManagedFields(), ByObject: map[client.Object]cache.ByObject{
		&servingv1.Revision{}:     {Label: labels.NewSelector().Add(*hasApp)},
		&istiov1.VirtualService{}: {Label: labels.NewSelector().Add(*hasApp)},
		&wfv1.Workflow{}:          {Label: labels.NewSelector().Add(*hasApp)},
		&resources.PingSource{}:   {Label: labels.NewSelector().Add(*hasApp)},
		&corev1.ConfigMap{}:       {Namespaces: map[string]cache.Config{cfg.KnativeServingNamespace: {}}},
		// Every Route of the cluster, to notice one served at an App's host;
		// only the host is kept.
		&servingv1.Route{}: {Transform: routeHostOnly},
	}}
}

// routeHostOnly keeps of a Route its identity and status.url.
func routeHostOnly(obj any) (any, error) {
	route, ok := obj.(*servingv1.Route)
	if !ok {
		return obj, nil
	}
	kept := &servingv1.Route{TypeMeta: route.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Namespace: route.Namespace, Name: route.Name, UID: route.UID, ResourceVersion: route.ResourceVersion,
		Generation: route.Generation, CreationTimestamp: route.CreationTimestamp, DeletionTimestamp: route.DeletionTimestamp,
		Labels: route.Labels, OwnerReferences: route.OwnerReferences,
	}}
	kept.Status.URL = route.Status.URL
	return kept, nil
}

// SetupWithManager registers the reconciler and what wakes it up.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.App{}, hostIndex, indexHost); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &servingv1.Route{}, routeHostIndex, indexRouteHost); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr)
	// Knative Eventing is optional: without its PingSource kind, Apps with
	// schedules report EventingNotInstalled and nothing watches PingSources.
	if _, err := mgr.GetRESTMapper().RESTMapping(resources.PingSourceGVK.GroupKind(), resources.PingSourceGVK.Version); err == nil {
		b = b.Owns(&resources.PingSource{})
	} else {
		ctrl.Log.WithName("setup").Info("Knative Eventing's PingSource is not served; schedules will be reported, not run", "reason", err.Error())
	}
	return b.
		Named("app").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.concurrentReconciles()}).
		For(&v1alpha1.App{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// An App that lets a host go (deleted, or renamed its domain) wakes
		// the Apps waiting for that host. A claim wakes every App asking for
		// the host, itself too: of two claims made at the same moment, each
		// by a reconcile whose cache lacked the other's, the later one must
		// yield, and the watch delivers the earlier claim before the later
		// one's event, so a reconcile it wakes sees both.
		Watches(&v1alpha1.App{}, handler.EnqueueRequestsFromMapFunc(r.appsSharingHost),
			builder.WithPredicates(hostChanged())).
		Owns(&istiov1.VirtualService{}).
		Owns(&wfv1.Workflow{}).
		// By name, not by owner: a Service of the App's name that the App does
		// not own must wake it too, so that it takes the name when it is freed.
		Watches(&servingv1.Service{}, handler.EnqueueRequestsFromMapFunc(sameName)).
		// Any Route in the cluster served at an App's host wakes the Apps
		// asking for it: one that is not the holder's is reported.
		Watches(&servingv1.Route{}, handler.EnqueueRequestsFromMapFunc(r.appsOfRouteHost),
			builder.WithPredicates(routeHostChanged())).
		Watches(&servingv1.Revision{}, handler.EnqueueRequestsFromMapFunc(appOfRevision),
			builder.WithPredicates(createOrDelete())).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.appsInNamespace),
			builder.WithPredicates(predicate.LabelChangedPredicate{})).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.allApps)).
		Complete(r)
}

func sameName(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: client.ObjectKeyFromObject(obj)}}
}

func appOfRevision(_ context.Context, obj client.Object) []reconcile.Request {
	name, ok := obj.GetLabels()[v1alpha1.LabelApp]
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: obj.GetNamespace(), Name: name}}}
}

// createOrDelete passes only the events that change which revisions exist.
func createOrDelete() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// hostChanged passes the events after which another App may hold or lose a
// host: an App let its host go (deleted, or asks for another), or claimed one.
func hostChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldApp, okOld := e.ObjectOld.(*v1alpha1.App)
			newApp, okNew := e.ObjectNew.(*v1alpha1.App)
			return okOld && okNew && (oldApp.HostLabel() != newApp.HostLabel() || !newApp.DeletionTimestamp.IsZero() ||
				!equality.Semantic.DeepEqual(oldApp.Status.Domain, newApp.Status.Domain))
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// DefaultConcurrentReconciles is how many Apps knapp reconciles at once
// unless told otherwise: measured with make bench (README, Benchmarks).
const DefaultConcurrentReconciles = 4

func (r *Reconciler) concurrentReconciles() int {
	if r.ConcurrentReconciles > 0 {
		return r.ConcurrentReconciles
	}
	return DefaultConcurrentReconciles
}

func (r *Reconciler) appsSharingHost(ctx context.Context, obj client.Object) []reconcile.Request {
	app, ok := obj.(*v1alpha1.App)
	if !ok {
		return nil
	}
	return r.listApps(ctx, client.MatchingFields{hostIndex: app.HostLabel()})
}

// appsOfRouteHost wakes the Apps asking for the platform host a Route is
// served at.
func (r *Reconciler) appsOfRouteHost(ctx context.Context, obj client.Object) []reconcile.Request {
	route, ok := obj.(*servingv1.Route)
	if !ok || route.Status.URL == nil {
		return nil
	}
	label, ok := strings.CutSuffix(route.Status.URL.Host, "."+r.Platform.Domain())
	if !ok || strings.Contains(label, ".") {
		return nil
	}
	return r.listApps(ctx, client.MatchingFields{hostIndex: label})
}

// routeHostChanged passes the Route events that change which hosts are
// served: creates, deletes and a changed status.url.
func routeHostChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !equality.Semantic.DeepEqual(indexRouteHost(e.ObjectOld), indexRouteHost(e.ObjectNew))
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

func (r *Reconciler) appsInNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.listApps(ctx, client.InNamespace(obj.GetName()))
}

// allApps wakes every App, for a change of Knative's configuration.
func (r *Reconciler) allApps(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.listApps(ctx)
}

func (r *Reconciler) listApps(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	apps := &v1alpha1.AppList{}
	if err := r.Client.List(ctx, apps, opts...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing Apps to reconcile")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(apps.Items))
	for i := range apps.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&apps.Items[i])})
	}
	return reqs
}
