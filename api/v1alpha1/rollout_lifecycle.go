package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConditionRolloutSucceeded: the progressive release. Unknown while the
// canary climbs its steps (or is paused, or its metrics cannot be read),
// True once promoted, False once rolled back.
const ConditionRolloutSucceeded = "RolloutSucceeded"

// Reasons of RolloutSucceeded; the phases' names where they match.
const (
	ReasonProgressing        = string(RolloutProgressing)
	ReasonPaused             = string(RolloutPaused)
	ReasonPromoted           = string(RolloutPromoted)
	ReasonRolledBack         = string(RolloutRolledBack)
	ReasonWaitingForRevision = "WaitingForRevision"
	// ReasonMetricsUnavailable: Prometheus could not answer; the step holds.
	ReasonMetricsUnavailable = "MetricsUnavailable"
)

// RolloutStrategy identifies what a rollout follows: the spec's stable,
// canary and progressive settings, without paused (pausing holds a rollout,
// it does not start one over). Defaults are filled first, so an App stored
// before the defaulting webhook has the same strategy.
func RolloutStrategy(r *Release) string {
	if r == nil || r.Progressive == nil {
		return ""
	}
	p := r.Progressive.DeepCopy()
	p.Paused = false
	if p.Analysis != nil {
		p.Analysis.setDefaults()
	}
	data, _ := json.Marshal(struct {
		Stable      string       `json:"stable"`
		Canary      *Canary      `json:"canary"`
		Progressive *Progressive `json:"progressive"`
	}{r.Stable, r.Canary, p})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:5])
}

// TrackRollout is the rollout of revision under strategy: prev when it is
// the same rollout (whatever its phase, so a rolled-back revision is not
// tried again until the canary or the strategy changes), else a new one at
// the first step. A new rollout is compared with stable, else with what
// the previous one promoted (or kept), else with current, the revision
// that takes the traffic now; with none of them, or when the revision is
// already that one, there is nothing to compare with and it is promoted at
// once (an App's first revision).
func (p *Progressive) TrackRollout(prev *RolloutStatus, revision, stable, strategy, current string, now time.Time) (st *RolloutStatus, started bool) {
	if prev != nil && prev.Revision == revision && prev.Strategy == strategy {
		return prev, false
	}
	if stable == "" {
		switch {
		case prev != nil && prev.Phase == RolloutPromoted:
			stable = prev.Revision
		case prev != nil && prev.StableRevision != "":
			stable = prev.StableRevision
		default:
			stable = current
		}
	}
	t := metav1.NewTime(now)
	st = &RolloutStatus{Revision: revision, StableRevision: stable, Strategy: strategy, StartedAt: &t, IntervalStart: &t}
	if stable == "" || stable == revision {
		st.StableRevision = ""
		st.Phase, st.Percent, st.Step = RolloutPromoted, 100, int32(len(p.Steps))
		st.Message = fmt.Sprintf("Revision %s takes all traffic: there is no other revision to compare it with.", revision)
		return st, true
	}
	st.Phase, st.Step, st.Percent = RolloutProgressing, 1, p.Steps[0].Percent
	st.Message = p.stepMessage(st)
	return st, true
}

// Active reports whether the rollout still moves: neither promoted nor
// rolled back.
func (st *RolloutStatus) Active() bool {
	return st != nil && (st.Phase == RolloutProgressing || st.Phase == RolloutPaused)
}

// SetPaused follows spec.progressive.paused. A resumed rollout starts a
// fresh interval: the paused time is neither analysed nor counted.
func (p *Progressive) SetPaused(st *RolloutStatus, now time.Time) (changed bool) {
	if !st.Active() {
		return false
	}
	switch {
	case p.Paused && st.Phase == RolloutProgressing:
		st.Phase = RolloutPaused
		st.Message = fmt.Sprintf("Paused at step %d/%d: the canary %s takes %d%%; set spec.release.progressive.paused to false to go on.",
			st.Step, len(p.Steps), st.Revision, st.Percent)
		return true
	case !p.Paused && st.Phase == RolloutPaused:
		t := metav1.NewTime(now)
		st.Phase, st.IntervalStart = RolloutProgressing, &t
		st.Message = p.stepMessage(st)
		return true
	}
	return false
}

// NextAnalysis is when the interval under way ends: an analysis interval
// after it began or, without an analysis, when the step's pause is over.
func (p *Progressive) NextAnalysis(st *RolloutStatus) time.Time {
	start := st.IntervalStart.Time
	if p.Analysis != nil {
		return start.Add(p.Analysis.IntervalOrDefault())
	}
	left := p.step(st).Pause.Duration - st.StepElapsed.Duration
	if left < 0 {
		left = 0
	}
	return start.Add(left)
}

// RolloutChange is what an interval's verdict did to a rollout.
type RolloutChange string

// Rollout changes.
const (
	// RolloutHeld: the interval neither passed nor failed, or passed
	// without finishing the step; the step goes on.
	RolloutHeld RolloutChange = "Held"
	// RolloutFailedInterval: the interval failed, within failureLimit.
	RolloutFailedInterval RolloutChange = "Failed"
	// RolloutStepped: the step passed; the canary is at the next step.
	RolloutStepped RolloutChange = "Stepped"
	// RolloutPromotedNow: the last step passed.
	RolloutPromotedNow RolloutChange = "Promoted"
	// RolloutRolledBackNow: more failed intervals than failureLimit.
	RolloutRolledBackNow RolloutChange = "RolledBack"
)

// Advance applies the verdict of the interval that ended at end. A passed
// interval counts towards the step's pause (the interval's length with an
// analysis, the time since the interval began without one); the step is
// done when the pause is; a failed one counts towards failureLimit; an
// inconclusive or unknown one changes nothing but the interval.
func (p *Progressive) Advance(st *RolloutStatus, verdict Verdict, results []AnalysisResult, end time.Time) RolloutChange {
	t := metav1.NewTime(end)
	credit := end.Sub(st.IntervalStart.Time)
	if p.Analysis != nil {
		credit = p.Analysis.IntervalOrDefault()
		st.Analyses, st.AnalyzedAt = results, &t
	}
	st.IntervalStart = &t
	switch verdict {
	case VerdictPass:
		st.StepElapsed = metav1.Duration{Duration: st.StepElapsed.Duration + credit}
		if st.StepElapsed.Duration < p.step(st).Pause.Duration {
			st.Message = p.stepMessage(st)
			return RolloutHeld
		}
		if int(st.Step) == len(p.Steps) {
			st.Phase, st.Percent, st.StepElapsed = RolloutPromoted, 100, metav1.Duration{}
			st.Message = fmt.Sprintf("Promoted: revision %s passed all %d steps and takes all traffic.", st.Revision, len(p.Steps))
			return RolloutPromotedNow
		}
		st.Step++
		st.Percent, st.StepElapsed = p.step(st).Percent, metav1.Duration{}
		st.Message = p.stepMessage(st)
		return RolloutStepped
	case VerdictFail:
		st.Failures++
		limit := p.Analysis.FailureLimitOrDefault()
		if st.Failures > limit {
			st.Phase, st.Percent = RolloutRolledBack, 0
			st.Message = fmt.Sprintf("Rolled back: %d failed intervals, more than failureLimit %d; %s. Revision %s takes all traffic until spec.release.canary or progressive changes.",
				st.Failures, limit, FailedChecks(results), st.StableRevision)
			return RolloutRolledBackNow
		}
		st.Message = fmt.Sprintf("Step %d/%d: interval failed (%d of %d allowed): %s.", st.Step, len(p.Steps), st.Failures, limit, FailedChecks(results))
		return RolloutFailedInterval
	case VerdictInconclusive:
		st.Message = fmt.Sprintf("Step %d/%d waits: %s.", st.Step, len(p.Steps), firstMessage(results, VerdictInconclusive))
	default:
		st.Message = fmt.Sprintf("Step %d/%d holds: the metrics could not be read: %s.", st.Step, len(p.Steps), firstMessage(results, VerdictUnknown))
	}
	return RolloutHeld
}

func (p *Progressive) step(st *RolloutStatus) RolloutStep {
	i := int(st.Step) - 1
	if i < 0 || i >= len(p.Steps) {
		// A strategy change starts a new rollout, so the step is in range;
		// this keeps a hand-edited status from panicking.
		return RolloutStep{Percent: st.Percent}
	}
	return p.Steps[i]
}

func (p *Progressive) stepMessage(st *RolloutStatus) string {
	return fmt.Sprintf("Step %d/%d: canary %s takes %d%% (stable %s); %s of the step's %s passed.",
		st.Step, len(p.Steps), st.Revision, st.Percent, st.StableRevision, st.StepElapsed.Duration, p.step(st).Pause.Duration)
}

// FailedChecks names each failed check with its value and threshold.
func FailedChecks(results []AnalysisResult) string {
	msg := ""
	for _, r := range results {
		if r.Verdict != VerdictFail {
			continue
		}
		if msg != "" {
			msg += "; "
		}
		switch {
		case r.Value != "":
			msg += fmt.Sprintf("%s %s (threshold %s)", r.Metric, r.Value, r.Threshold)
		default:
			msg += fmt.Sprintf("%s could not be read: %s", r.Metric, r.Message)
		}
	}
	if msg == "" {
		return "no check failed"
	}
	return msg
}

func firstMessage(results []AnalysisResult, v Verdict) string {
	for _, r := range results {
		if r.Verdict == v && r.Message != "" {
			return r.Message
		}
	}
	return string(v)
}
