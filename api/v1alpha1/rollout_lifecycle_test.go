package v1alpha1

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// ladder: steps 0% 1m, 10% 2m, 50% 1m, judged each minute, 1 failure allowed.
func ladder() *Progressive {
	return &Progressive{
		Steps: []RolloutStep{
			{Percent: 0, Pause: metav1.Duration{Duration: time.Minute}},
			{Percent: 10, Pause: metav1.Duration{Duration: 2 * time.Minute}},
			{Percent: 50, Pause: metav1.Duration{Duration: time.Minute}},
		},
		Analysis: &Analysis{Interval: &metav1.Duration{Duration: time.Minute}, FailureLimit: ptr.To[int32](1), SuccessRate: ptr.To(99.0)},
	}
}

func failed(metric, value, threshold string) []AnalysisResult {
	return []AnalysisResult{{Metric: metric, Value: value, Threshold: threshold, Verdict: VerdictFail}}
}

func TestTrackRollout(t *testing.T) {
	p := ladder()
	t.Run("an App's first revision is promoted at once: nothing to compare it with", func(t *testing.T) {
		st, started := p.TrackRollout(nil, "shop-1", "", "s1", "", t0)
		if !started || st.Phase != RolloutPromoted || st.Percent != 100 || st.StableRevision != "" {
			t.Fatalf("got %+v, started %v", st, started)
		}
	})
	t.Run("a new revision starts at the first step against the spec's stable", func(t *testing.T) {
		st, started := p.TrackRollout(nil, "shop-2", "shop-1", "s1", "shop-1", t0)
		if !started || st.Phase != RolloutProgressing || st.Step != 1 || st.Percent != 0 || st.StableRevision != "shop-1" || !st.IntervalStart.Time.Equal(t0) {
			t.Fatalf("got %+v", st)
		}
	})
	t.Run("the same revision and strategy go on, whatever the phase", func(t *testing.T) {
		prev := &RolloutStatus{Revision: "shop-2", StableRevision: "shop-1", Strategy: "s1", Phase: RolloutRolledBack}
		if st, started := p.TrackRollout(prev, "shop-2", "", "s1", "shop-1", t0); started || st != prev {
			t.Fatalf("a rolled-back revision was tried again: %+v", st)
		}
	})
	t.Run("a changed strategy tries a rolled-back revision again", func(t *testing.T) {
		prev := &RolloutStatus{Revision: "shop-2", StableRevision: "shop-1", Strategy: "s1", Phase: RolloutRolledBack}
		st, started := p.TrackRollout(prev, "shop-2", "", "s2", "shop-1", t0)
		if !started || st.Phase != RolloutProgressing || st.StableRevision != "shop-1" {
			t.Fatalf("got %+v", st)
		}
	})
	t.Run("the next rollout is compared with the promoted revision", func(t *testing.T) {
		prev := &RolloutStatus{Revision: "shop-2", StableRevision: "shop-1", Strategy: "s1", Phase: RolloutPromoted}
		st, _ := p.TrackRollout(prev, "shop-3", "", "s1", "shop-2", t0)
		if st.StableRevision != "shop-2" || st.Phase != RolloutProgressing {
			t.Fatalf("got %+v", st)
		}
	})
	t.Run("a new revision during a rollout starts over against the stable, not the unfinished canary", func(t *testing.T) {
		prev := &RolloutStatus{Revision: "shop-2", StableRevision: "shop-1", Strategy: "s1", Phase: RolloutProgressing, Step: 2, Failures: 1}
		st, started := p.TrackRollout(prev, "shop-3", "", "s1", "shop-1", t0)
		if !started || st.StableRevision != "shop-1" || st.Step != 1 || st.Failures != 0 {
			t.Fatalf("got %+v", st)
		}
	})
}

// run advances a rollout through verdicts, one a minute, and returns the
// changes.
func run(p *Progressive, st *RolloutStatus, verdicts ...Verdict) []RolloutChange {
	var changes []RolloutChange
	for _, v := range verdicts {
		end := p.NextAnalysis(st)
		var results []AnalysisResult
		if v == VerdictFail {
			results = failed("successRate", "80%", ">= 99%")
		}
		changes = append(changes, p.Advance(st, v, results, end))
	}
	return changes
}

func TestAdvanceHealthyCanaryClimbsEveryStep(t *testing.T) {
	p := ladder()
	st, _ := p.TrackRollout(nil, "shop-2", "shop-1", "s1", "shop-1", t0)
	changes := run(p, st, VerdictPass, VerdictPass, VerdictPass, VerdictPass)
	want := []RolloutChange{RolloutStepped, RolloutHeld, RolloutStepped, RolloutPromotedNow}
	if strings.Join(changeNames(changes), ",") != strings.Join(changeNames(want), ",") {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	if st.Phase != RolloutPromoted || st.Percent != 100 || !strings.Contains(st.Message, "passed all 3 steps") {
		t.Errorf("after the last step: %+v", st)
	}
}

func TestAdvanceRollsBackAfterFailureLimit(t *testing.T) {
	p := ladder()
	st, _ := p.TrackRollout(nil, "shop-2", "shop-1", "s1", "shop-1", t0)
	changes := run(p, st, VerdictPass, VerdictFail, VerdictPass, VerdictFail)
	if changes[1] != RolloutFailedInterval || changes[3] != RolloutRolledBackNow {
		t.Fatalf("changes %v", changes)
	}
	if st.Phase != RolloutRolledBack || st.Percent != 0 || st.Failures != 2 {
		t.Errorf("got %+v", st)
	}
	for _, want := range []string{"successRate 80%", "threshold >= 99%", "more than failureLimit 1", "Revision shop-1 takes all traffic"} {
		if !strings.Contains(st.Message, want) {
			t.Errorf("message %q does not say %q", st.Message, want)
		}
	}
	if st.Active() {
		t.Error("a rolled-back rollout is still active")
	}
}

// Too few requests and unreadable metrics neither pass nor fail a step.
func TestAdvanceWaitsAndHolds(t *testing.T) {
	p := ladder()
	st, _ := p.TrackRollout(nil, "shop-2", "shop-1", "s1", "shop-1", t0)
	run(p, st, VerdictPass) // to step 2
	run(p, st, VerdictInconclusive, VerdictUnknown, VerdictInconclusive)
	if st.Step != 2 || st.StepElapsed.Duration != 0 || st.Failures != 0 {
		t.Fatalf("waiting moved the rollout: %+v", st)
	}
	if !st.IntervalStart.Time.Equal(t0.Add(4 * time.Minute)) {
		t.Errorf("interval start %s: each judged interval moves it", st.IntervalStart.Time)
	}
}

// A rollout whose status went through JSON (a restarted knapp reads it
// from the API) goes on exactly as one that never stopped.
func TestAdvanceResumesFromStatus(t *testing.T) {
	p := ladder()
	verdicts := []Verdict{VerdictPass, VerdictPass, VerdictFail, VerdictPass, VerdictPass}
	whole, _ := p.TrackRollout(nil, "shop-2", "shop-1", "s1", "shop-1", t0)
	run(p, whole, verdicts...)

	resumed, _ := p.TrackRollout(nil, "shop-2", "shop-1", "s1", "shop-1", t0)
	for _, v := range verdicts {
		data, err := json.Marshal(resumed)
		if err != nil {
			t.Fatal(err)
		}
		resumed = &RolloutStatus{}
		if err := json.Unmarshal(data, resumed); err != nil {
			t.Fatal(err)
		}
		run(p, resumed, v)
	}
	if resumed.Step != whole.Step || resumed.StepElapsed != whole.StepElapsed || resumed.Failures != whole.Failures || resumed.Phase != whole.Phase {
		t.Errorf("resumed %+v, uninterrupted %+v", resumed, whole)
	}
}

func TestPauseHoldsAndResumeStartsAFreshInterval(t *testing.T) {
	p := ladder()
	st, _ := p.TrackRollout(nil, "shop-2", "shop-1", "s1", "shop-1", t0)
	run(p, st, VerdictPass)
	p.Paused = true
	if !p.SetPaused(st, t0.Add(90*time.Second)) || st.Phase != RolloutPaused || !strings.Contains(st.Message, "Paused at step 2/3") {
		t.Fatalf("got %+v", st)
	}
	p.Paused = false
	resumeAt := t0.Add(time.Hour)
	if !p.SetPaused(st, resumeAt) || st.Phase != RolloutProgressing {
		t.Fatalf("got %+v", st)
	}
	if next := p.NextAnalysis(st); !next.Equal(resumeAt.Add(time.Minute)) {
		t.Errorf("next analysis %s, want a minute after resuming", next)
	}
	if st.Step != 2 {
		t.Errorf("step %d after pausing", st.Step)
	}
}

// Without an analysis a step lasts its pause in wall time.
func TestStepsWithoutAnalysisFollowThePause(t *testing.T) {
	p := ladder()
	p.Analysis = nil
	st, _ := p.TrackRollout(nil, "shop-2", "shop-1", "s1", "shop-1", t0)
	if next := p.NextAnalysis(st); !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("first step ends %s", next)
	}
	if c := p.Advance(st, VerdictPass, nil, t0.Add(time.Minute)); c != RolloutStepped {
		t.Fatalf("change %s", c)
	}
	if next := p.NextAnalysis(st); !next.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("second step ends %s, want after its 2m pause", next)
	}
}

func changeNames(cs []RolloutChange) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}
