package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"knapp.dev/knapp/api/v1alpha1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// state is one reconcile's view of an App: what it observed, what it wants,
// and what the steps so far achieved. Each step reads the fields of earlier
// steps and fills its own.
type state struct {
	app *v1alpha1.App
	// observed is read once, before any step decides anything.
	observed observed
	// builtImage is the image of the newest successful build (builds).
	builtImage string
	// desired is what the App asks for (desired); nil until computed.
	desired *desired
	// holdsHost: the App holds its platform host (domain).
	holdsHost bool
	// routesInPlace: knapp's VirtualService binds the external host
	// (routes), so the Knative Service may be cluster-local.
	routesInPlace bool
	// service is the Knative Service as the service step left it, whose
	// status the App reports; nil when that step did not get so far.
	service *servingv1.Service
	// analysedDue is when the interval the rollout step judged ended (zero
	// when it judged none), and analysedVerdict its verdict.
	analysedDue     time.Time
	analysedVerdict v1alpha1.Verdict
	// requeueAfter, if not zero, is when a step wants the App reconciled
	// again though nothing changes (a rollout's next interval).
	requeueAfter time.Duration
}

// wakeAfter asks for another reconcile after d at the latest.
func (s *state) wakeAfter(d time.Duration) {
	if d <= 0 {
		d = time.Millisecond
	}
	if s.requeueAfter == 0 || d < s.requeueAfter {
		s.requeueAfter = d
	}
}

// routed reports whether knapp's own routes should serve the App's host.
func (s *state) routed() bool {
	return s.desired != nil && s.desired.plan.Routed() && s.holdsHost
}

// step is one part of a reconcile and the condition it reports in.
type step struct {
	name      string
	condition string
	run       func(context.Context, *state) (outcome, error)
	// stopsOnError: a failure skips the steps after it that are not
	// independent, since they need what it did not make.
	stopsOnError bool
	// independent: runs even when an earlier step stopped.
	independent bool
	// failuresOnly: the step reports only its failures; a later step of
	// the same condition reports its success.
	failuresOnly bool
}

// steps are the reconcile's steps in the order that keeps the App served:
// the builds (they decide the image), the desired objects (an error there
// leaves every child untouched), the domain, the Service's owner, the
// rollout (it sets the split both routes and Service render), the routes
// before the Knative Service (so that the host is handed over without a
// gap), the schedules, and the logs, which need only the namespace.
func (r *Reconciler) steps() []step {
	return []step{
		{name: "builds", condition: v1alpha1.ConditionBuildSucceeded, run: r.reconcileBuilds},
		{name: "hook", condition: v1alpha1.ConditionHookReady, run: r.reconcileHook, independent: true},
		{name: "desired", condition: v1alpha1.ConditionServiceReady, run: r.computeDesired, stopsOnError: true, failuresOnly: true},
		{name: "domain", condition: v1alpha1.ConditionDomainReady, run: r.reconcileDomain, stopsOnError: true},
		{name: "service-owner", condition: v1alpha1.ConditionServiceReady, run: checkServiceOwner, stopsOnError: true, failuresOnly: true},
		{name: "rollout", condition: v1alpha1.ConditionRolloutSucceeded, run: r.reconcileRollout},
		{name: "routes", condition: v1alpha1.ConditionRoutesReady, run: r.reconcileRoutes},
		{name: "service", condition: v1alpha1.ConditionServiceReady, run: r.reconcileService},
		{name: "schedules", condition: v1alpha1.ConditionSchedulesReady, run: r.reconcileSchedules},
		{name: "logs", condition: v1alpha1.ConditionLogsReady, run: r.reconcileLogs, independent: true},
	}
}

// runSteps runs the steps, reports each in its condition and returns the
// errors to retry with backoff. It reports whether every step ran.
func runSteps(ctx context.Context, s *state, steps []step) (complete bool, err error) {
	var errs []error
	stopped := false
	for _, st := range steps {
		if stopped && !st.independent {
			continue
		}
		o, stepErr := st.run(ctx, s)
		if stepErr == nil && st.failuresOnly {
			continue
		}
		if retry := report(&s.app.Status, st.condition, o, stepErr); retry != nil {
			errs = append(errs, fmt.Errorf("%s: %w", st.name, retry))
		}
		if stepErr != nil && st.stopsOnError {
			stopped = true
		}
	}
	return !stopped, errors.Join(errs...)
}
