package app

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/analysis"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

// MetricsReader reads a revision's metrics for an analysis; cmd/knapp
// gives the platform's Prometheus (analysis.Prometheus).
type MetricsReader interface {
	Measure(ctx context.Context, a *v1alpha1.Analysis, vars v1alpha1.QueryVars, end time.Time) v1alpha1.Readings
}

// reconcileRollout drives a progressive release one interval at a time,
// all of its state in status.rollout, so that a restarted knapp resumes
// where the last status write left it: it follows the revision to roll
// out, judges the interval that ended (never one twice: the interval's
// start moves with each verdict written), and sets the plan's split from
// where the rollout stands, so the routes and the Knative Service written
// after it move together. It asks to be woken when the next interval ends.
func (r *Reconciler) reconcileRollout(ctx context.Context, s *state) (outcome, error) {
	app := s.app
	release := app.Spec.Release
	if release == nil || release.Progressive == nil {
		app.Status.Rollout = nil
		return cleared, nil
	}
	p, now := release.Progressive, r.now()
	revision := r.rolloutRevision(s)
	if revision == "" {
		s.desired.plan = resources.ApplyRollout(s.desired.plan, nil, false)
		return progressing(v1alpha1.ReasonWaitingForRevision, "Waiting for the App's first revision to become ready; it takes all traffic once it is."), nil
	}
	st, _ := p.TrackRollout(app.Status.Rollout, revision, release.Stable, v1alpha1.RolloutStrategy(release), app.Status.StableRevision, now)
	st = st.DeepCopy()
	p.SetPaused(st, now)
	if st.Phase == v1alpha1.RolloutProgressing {
		if due := p.NextAnalysis(st); !now.Before(due) {
			r.judgeInterval(ctx, s, p, st, now)
			s.analysedDue = due
		}
	}
	app.Status.Rollout = st
	s.desired.plan = resources.ApplyRollout(s.desired.plan, st, p.Sticky)
	if st.Phase == v1alpha1.RolloutProgressing {
		s.wakeAfter(p.NextAnalysis(st).Sub(now))
	}
	return rolloutOutcome(p, st), nil
}

// rolloutRevision is the revision to roll out: the canary the spec names,
// or with "latest" the newest revision Knative reports ready (a revision
// still starting keeps the rollout under way where it is).
func (r *Reconciler) rolloutRevision(s *state) string {
	c := s.app.Spec.Release.Canary
	if c != nil && c.Revision != v1alpha1.CanaryLatest {
		return c.Revision
	}
	if s.observed.service == nil {
		return ""
	}
	return s.observed.service.Status.LatestReadyRevisionName
}

// analysisTimeout bounds the queries of one interval's analysis.
const analysisTimeout = 15 * time.Second

// judgeInterval reads the canary's and the stable's metrics over the
// interval that ended now and advances the rollout by its verdict. Without
// an analysis the interval passes: a step is its pause. When Prometheus
// cannot answer, the platform decides: hold (the default) or count the
// interval as failed.
func (r *Reconciler) judgeInterval(ctx context.Context, s *state, p *v1alpha1.Progressive, st *v1alpha1.RolloutStatus, now time.Time) {
	if p.Analysis == nil {
		p.Advance(st, v1alpha1.VerdictPass, nil, now)
		return
	}
	interval := p.Analysis.IntervalOrDefault()
	vars := func(revision string) v1alpha1.QueryVars {
		return v1alpha1.NewQueryVars(s.app.Namespace, s.app.Name, revision, interval)
	}
	// One bound for every query of the interval, so a Prometheus that
	// does not answer holds the rollout, not a reconcile worker.
	ctx, cancel := context.WithTimeout(ctx, analysisTimeout)
	defer cancel()
	reader := r.metricsReader()
	canary := reader.Measure(ctx, p.Analysis, vars(st.Revision), now)
	stable := reader.Measure(ctx, p.Analysis, vars(st.StableRevision), now)
	results, verdict := p.Analysis.Judge(canary, stable)
	if verdict == v1alpha1.VerdictUnknown && r.Platform.Analysis.WithDefaults().OnError == platform.OnErrorRollback {
		// The platform counts an interval it cannot judge as failed.
		results, verdict = v1alpha1.UnknownAsFailed(results), v1alpha1.VerdictFail
	}
	s.analysedVerdict = verdict
	p.Advance(st, verdict, results, now)
}

// rolloutOutcome is RolloutSucceeded. Its message changes with the step,
// the failures and what the step waits for, not with each interval's
// elapsed time, so each change is one event.
func rolloutOutcome(p *v1alpha1.Progressive, st *v1alpha1.RolloutStatus) outcome {
	switch st.Phase {
	case v1alpha1.RolloutPromoted:
		return outcome{status: metav1.ConditionTrue, reason: v1alpha1.ReasonPromoted, message: st.Message}
	case v1alpha1.RolloutRolledBack:
		return outcome{status: metav1.ConditionFalse, reason: v1alpha1.ReasonRolledBack, message: st.Message}
	case v1alpha1.RolloutPaused:
		return progressing(v1alpha1.ReasonPaused, st.Message)
	}
	msg := fmt.Sprintf("Step %d/%d: revision %s takes %d%% (stable %s).", st.Step, len(p.Steps), st.Revision, st.Percent, st.StableRevision)
	if st.Failures > 0 {
		msg += fmt.Sprintf(" %d failed interval(s) of %d allowed.", st.Failures, p.Analysis.FailureLimitOrDefault())
	}
	switch v1alpha1.IntervalVerdict(st.Analyses) {
	case v1alpha1.VerdictUnknown:
		return progressing(v1alpha1.ReasonMetricsUnavailable, msg+" Holding: "+st.Message)
	case v1alpha1.VerdictInconclusive:
		msg += fmt.Sprintf(" Waiting for at least %d requests an interval.", p.Analysis.MinRequestsOrDefault())
	}
	return progressing(v1alpha1.ReasonProgressing, msg)
}

// metricsReader is the platform's Prometheus; without one, every reading
// says so.
func (r *Reconciler) metricsReader() MetricsReader {
	if r.Metrics == nil {
		return (*analysis.Prometheus)(nil)
	}
	return r.Metrics
}

func (r *Reconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}
