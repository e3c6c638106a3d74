package app

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
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
	// ConcurrentReconciles is how many Apps are reconciled at once (never
	// one App twice at once); 0 means DefaultConcurrentReconciles.
	ConcurrentReconciles int
	// Metrics reads canaries' metrics for progressive releases; nil: every
	// analysis holds, naming the missing Prometheus.
	Metrics MetricsReader
	// Clock tells the time of rollout intervals; nil: the real clock.
	Clock clock.PassiveClock

	statusWrites statusWrites
}

// +kubebuilder:rbac:groups=knapp.dev,resources=apps,verbs=get;list;watch
// +kubebuilder:rbac:groups=knapp.dev,resources=apps/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=serving.knative.dev,resources=services,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=serving.knative.dev,resources=revisions,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.knative.dev,resources=routes,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.istio.io,resources=virtualservices,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=argoproj.io,resources=workflows,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=argoproj.io,resources=workflowtemplates;clusterworkflowtemplates,verbs=get
// +kubebuilder:rbac:groups=sources.knative.dev,resources=pingsources,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",namespace=knative-serving,resources=configmaps,verbs=get;list;watch
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
	if rollout, stale := r.statusWrites.rolloutWritten(app); stale {
		// The cache has not seen knapp's last write yet; the rollout goes
		// on from what was written, not from before it.
		app.Status.Rollout = rollout
	}
	before := app.DeepCopy()

	s, reconcileErr := r.reconcileSteps(ctx, app)
	app.Status.ComputeReady(app.Generation)
	result := ctrl.Result{RequeueAfter: s.requeueAfter}

	if equality.Semantic.DeepEqual(before.Status, app.Status) || r.statusWrites.alreadyWritten(before, &app.Status) {
		return result, reconcileErr
	}
	r.recordConditionChanges(app, before.Status.Conditions)
	if err := r.Client.Status().Patch(ctx, app, client.MergeFrom(before)); err != nil {
		if apierrors.IsNotFound(err) {
			return result, reconcileErr
		}
		return result, errors.Join(reconcileErr, err)
	}
	previous := r.statusWrites.lastWritten(req.NamespacedName)
	r.statusWrites.wrote(app, before.ResourceVersion)
	observeStatusWrite(&before.Status, &app.Status, previous)
	observeRolloutWrite(&before.Status, &app.Status, s, r.now())
	return result, reconcileErr
}

// reconcileSteps observes what the App's children are, runs the steps
// and, when every step ran, sums up what the App is reached at and runs.
func (r *Reconciler) reconcileSteps(ctx context.Context, app *v1alpha1.App) (*state, error) {
	s := &state{app: app, observed: r.observe(ctx, app)}
	complete, err := runSteps(ctx, s, r.steps())
	if complete {
		r.summarize(s)
	}
	return s, err
}

// summarize is the one place that decides status.url, and lists the
// revisions with the traffic each takes.
func (r *Reconciler) summarize(s *state) {
	app := s.app
	switch {
	case s.routed() && s.routesInPlace:
		// Knative's URL is cluster-local now; the App is reached at its host.
		app.Status.URL = r.Platform.URLScheme + "://" + names.ExternalHost(app, r.Platform)
	case s.service != nil:
		app.Status.URL = serviceURL(s.service)
	}
	app.Status.Revisions = revisionHistory(s.observed.revisions, app.Status.Traffic, maxRevisionHistory)
}
