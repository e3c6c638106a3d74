package app

import (
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/metrics"
)

// observeReconcileError counts a reconcile that returns an error, by the
// class of API error (knapp_reconcile_errors_total).
func observeReconcileError(err error) {
	if err != nil {
		metrics.ReconcileErrors.WithLabelValues(metrics.ErrorReason(err)).Inc()
	}
}

// observeStatusWrite counts what a status write records for the first
// time: part conditions that turned False, and builds that finished. It
// runs only once the write succeeded, and compares with both the App it
// was computed from (before: what the API held, which survives restarts)
// and the status knapp last wrote to it in this process (previous, nil if
// none: it covers a cache that has not caught up with that write yet), so
// no resync, restart or stale read counts anything twice.
func observeStatusWrite(before, after, previous *v1alpha1.AppStatus) {
	for _, reason := range newlyFalse(before, after, previous) {
		metrics.ReconcileErrors.WithLabelValues(reason).Inc()
	}
	for _, rec := range newlyFinished(before, after, previous) {
		metrics.BuildsFinished.WithLabelValues(rec.Phase).Inc()
		if rec.StartedAt != nil && rec.FinishedAt != nil && !rec.FinishedAt.Before(rec.StartedAt) {
			metrics.BuildDuration.WithLabelValues(rec.Phase).Observe(rec.FinishedAt.Sub(rec.StartedAt.Time).Seconds())
		}
	}
}

// newlyFalse are the reasons of the part conditions that are False in after
// and were not False with the same reason in before nor previous. APIError
// is left out: a reconcile that sets it returns the error, which
// observeReconcileError counts by its class.
func newlyFalse(before, after, previous *v1alpha1.AppStatus) []string {
	var reasons []string
	for _, c := range after.Conditions {
		if c.Type == v1alpha1.ConditionReady || c.Status != metav1.ConditionFalse || c.Reason == v1alpha1.ReasonAPIError {
			continue
		}
		if falseWith(before, c) || falseWith(previous, c) {
			continue
		}
		reasons = append(reasons, c.Reason)
	}
	return reasons
}

func falseWith(s *v1alpha1.AppStatus, c metav1.Condition) bool {
	if s == nil {
		return false
	}
	old := meta.FindStatusCondition(s.Conditions, c.Type)
	return old != nil && old.Status == metav1.ConditionFalse && old.Reason == c.Reason
}

// newlyFinished are the builds after lists as finished (Succeeded, Failed,
// Error) that neither before nor previous listed as finished. When neither
// has a status.build at all, nothing is new: that is the App's first
// status.build after spec.build was removed and added back, which lists the
// Workflows that survived, finished long ago. (A first build of an App is
// listed Pending first: knapp writes that status when it creates it.)
func newlyFinished(before, after, previous *v1alpha1.AppStatus) []v1alpha1.BuildRecord {
	if after.Build == nil || !hasBuilds(before) && !hasBuilds(previous) {
		return nil
	}
	var out []v1alpha1.BuildRecord
	for _, rec := range after.Build.Builds {
		if buildFinished(rec.Phase) && !finishedIn(before, rec.Workflow) && !finishedIn(previous, rec.Workflow) {
			out = append(out, rec)
		}
	}
	return out
}

func hasBuilds(s *v1alpha1.AppStatus) bool {
	return s != nil && s.Build != nil
}

func buildFinished(phase string) bool {
	return wfv1.WorkflowPhase(phase).Completed()
}

func finishedIn(s *v1alpha1.AppStatus, workflow string) bool {
	rec, ok := buildRecord(s, workflow)
	return ok && buildFinished(rec.Phase)
}

func buildRecord(s *v1alpha1.AppStatus, workflow string) (v1alpha1.BuildRecord, bool) {
	if s == nil || s.Build == nil {
		return v1alpha1.BuildRecord{}, false
	}
	for _, rec := range s.Build.Builds {
		if rec.Workflow == workflow {
			return rec, true
		}
	}
	return v1alpha1.BuildRecord{}, false
}

// observeRolloutWrite counts what a status write records of a rollout: the
// interval the reconcile judged (by verdict, and how long after the
// interval's end the verdict was written), and the step or rollout that
// ended with it. Only the reconcile that judged counts, and it judges an
// interval once, so resyncs and restarts count nothing twice.
func observeRolloutWrite(before, after *v1alpha1.AppStatus, s *state, now time.Time) {
	a := after.Rollout
	if s.analysedDue.IsZero() || a == nil {
		return
	}
	if s.analysedVerdict != "" {
		metrics.RolloutAnalyses.WithLabelValues(string(s.analysedVerdict)).Inc()
	}
	metrics.RolloutDecisionDelay.Observe(now.Sub(s.analysedDue).Seconds())
	b := before.Rollout
	if b == nil || b.Revision != a.Revision || b.Strategy != a.Strategy {
		return
	}
	switch {
	case a.Phase == v1alpha1.RolloutPromoted && b.Phase != v1alpha1.RolloutPromoted:
		metrics.RolloutSteps.WithLabelValues(metrics.RolloutPassed).Inc()
		metrics.Rollouts.WithLabelValues(metrics.RolloutPromoted).Inc()
	case a.Phase == v1alpha1.RolloutRolledBack && b.Phase != v1alpha1.RolloutRolledBack:
		metrics.RolloutSteps.WithLabelValues(metrics.RolloutRolledBack).Inc()
		metrics.Rollouts.WithLabelValues(metrics.RolloutRolledBack).Inc()
	case a.Step > b.Step:
		metrics.RolloutSteps.WithLabelValues(metrics.RolloutPassed).Inc()
	}
}
