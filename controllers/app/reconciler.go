package app

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources/names"
)

// Reconciler makes an App's children match the App and reports how they are.
type Reconciler struct {
	Client client.Client
	// APIReader reads past the cache, for objects the cache is narrowed
	// away from (VirtualServices without knapp's label).
	APIReader client.Reader
	Recorder  events.EventRecorder
	Platform  platform.Config

	statusWrites statusWrites
}

// +kubebuilder:rbac:groups=knapp.dev,resources=apps,verbs=get;list;watch
// +kubebuilder:rbac:groups=knapp.dev,resources=apps/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=serving.knative.dev,resources=services,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=serving.knative.dev,resources=revisions,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.istio.io,resources=virtualservices,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=argoproj.io,resources=workflows,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=argoproj.io,resources=workflowtemplates;clusterworkflowtemplates,verbs=get
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=sources.knative.dev,resources=pingsources,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one App's children in line with it. It never writes the
// App's spec (GitOps tools own it) and writes its status only when it
// changed, so a reconcile that finds nothing to do writes nothing.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, err error) {
	defer func() { observeReconcileError(err) }()
	app := &v1alpha1.App{}
	if err := r.Client.Get(ctx, req.NamespacedName, app); err != nil {
		if apierrors.IsNotFound(err) {
			r.statusWrites.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !app.DeletionTimestamp.IsZero() {
		// Children carry owner references; the garbage collector removes them.
		return ctrl.Result{}, nil
	}
	before := app.DeepCopy()

	reconcileErr := errors.Join(r.reconcileParts(ctx, app), r.reconcileLogs(ctx, app))
	app.Status.ComputeReady(app.Generation)

	if equality.Semantic.DeepEqual(before.Status, app.Status) || r.statusWrites.alreadyWritten(before, &app.Status) {
		return ctrl.Result{}, reconcileErr
	}
	r.recordConditionChanges(app, before.Status.Conditions)
	if err := r.Client.Status().Patch(ctx, app, client.MergeFrom(before)); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, reconcileErr
		}
		return ctrl.Result{}, errors.Join(reconcileErr, err)
	}
	previous := r.statusWrites.lastWritten(req.NamespacedName)
	r.statusWrites.wrote(app, before.ResourceVersion)
	observeStatusWrite(&before.Status, &app.Status, previous)
	return ctrl.Result{}, reconcileErr
}

// reconcileParts runs the steps in the order that keeps the App served: the
// builds (they decide the image), the desired objects (an error there leaves
// every child untouched), then the domain, the routes, the Knative Service,
// and the status they report.
func (r *Reconciler) reconcileParts(ctx context.Context, app *v1alpha1.App) error {
	builtImage, buildErr := r.reconcileBuilds(ctx, app)
	d, err := r.computeDesired(ctx, app, builtImage)
	if err != nil {
		return errors.Join(buildErr, r.markServiceError(app, err))
	}
	if err := r.reconcileDomain(ctx, app, d); err != nil {
		return errors.Join(buildErr, err)
	}
	ksvc, err := r.getService(ctx, app)
	if errors.Is(err, errNotOwned) {
		return buildErr
	}
	if err != nil {
		return errors.Join(buildErr, r.markServiceError(app, err))
	}
	routesErr := r.reconcileRoutes(ctx, app, d, ksvc)
	serviceErr := r.reconcileService(ctx, app, d, ksvc)
	schedulesErr := r.reconcileSchedules(ctx, app)
	if d.routed() && d.routesInPlace {
		// Knative's URL is cluster-local now; the App is reached at its host.
		app.Status.URL = r.Platform.URLScheme + "://" + names.ExternalHost(app, r.Platform)
	}
	app.Status.Revisions = revisionHistory(d.revisions, app.Status.Traffic, maxRevisionHistory)
	return errors.Join(buildErr, routesErr, serviceErr, schedulesErr)
}
