package progressive

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// These scenarios stop Prometheus or kill knapp, which every other
// scenario uses: they are not parallel, so they run before the others.

// Prometheus stopped mid-rollout holds the step (MetricsUnavailable, with
// the error; nothing passes, nothing fails); started again, the rollout
// goes on to promotion.
func TestPrometheusStoppedMidRolloutHoldsAndResumes(t *testing.T) {
	steps := ladder(0, 20, 50)
	steps[1].Pause = seconds(30)
	s := newScenario(t, progressive(steps, judged(1)))
	rev2 := s.revision(2)
	s.load(1, rps, ok, fast)
	s.load(2, rps, ok, fast)
	s.release(2, nil)
	s.waitRollout("revision 2 at step 2", func(st *v1alpha1.RolloutStatus) error {
		if st.Revision != rev2 || st.Step != 2 {
			return fmt.Errorf("rollout %+v", st)
		}
		return nil
	})
	if err := prom.Stop(); err != nil {
		t.Fatal(err)
	}
	held := s.waitApp("the rollout holds", func(a *v1alpha1.App) error {
		return conditionIs(a, v1alpha1.ConditionRolloutSucceeded, metav1.ConditionUnknown, v1alpha1.ReasonMetricsUnavailable)
	}).Status.Rollout.DeepCopy()
	checkAnalysis(t, held, v1alpha1.CheckRequests, v1alpha1.VerdictUnknown, "")
	// Another interval while Prometheus is down changes nothing but when.
	after := s.waitRollout("another interval analysed", func(st *v1alpha1.RolloutStatus) error {
		if !st.AnalyzedAt.After(held.AnalyzedAt.Time) {
			return fmt.Errorf("analysed at %s", st.AnalyzedAt)
		}
		return nil
	}).Status.Rollout
	if after.Step != held.Step || after.StepElapsed != held.StepElapsed || after.Failures != held.Failures || after.Phase != v1alpha1.RolloutProgressing {
		t.Errorf("while Prometheus was down the rollout moved from %+v to %+v", held, after)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := prom.StartAgain(ctx); err != nil {
		t.Fatal(err)
	}
	s.waitRollout("revision 2 promoted", func(st *v1alpha1.RolloutStatus) error {
		return phaseIs(st, rev2, v1alpha1.RolloutPromoted)
	})
}

// knapp SIGKILLed mid-rollout and started again resumes at the same step
// with the same elapsed time and failures, never going back a step, never
// judging an interval twice.
func TestKnappKilledMidRolloutResumesAtTheSameStep(t *testing.T) {
	steps := ladder(0, 20, 50)
	steps[1].Pause = seconds(40)
	s := newScenario(t, progressive(steps, judged(1)))
	rev2 := s.revision(2)
	s.load(1, rps, ok, fast)
	s.load(2, rps, ok, fast)
	s.release(2, nil)
	var seen []v1alpha1.RolloutStatus
	record := func(st *v1alpha1.RolloutStatus) {
		if st.Revision == rev2 && (len(seen) == 0 || !seen[len(seen)-1].AnalyzedAt.Equal(st.AnalyzedAt) || seen[len(seen)-1].Phase != st.Phase) {
			seen = append(seen, *st.DeepCopy())
		}
	}
	s.waitRollout("revision 2 in step 2 with time passed", func(st *v1alpha1.RolloutStatus) error {
		record(st)
		if st.Revision != rev2 || st.Step != 2 || st.StepElapsed.Duration < interval.Duration {
			return fmt.Errorf("rollout %+v", st)
		}
		return nil
	})
	knapp.Kill()
	killed := *s.app().Status.Rollout.DeepCopy()
	t.Logf("killed knapp at step %d, %s of the step passed, %d failures", killed.Step, killed.StepElapsed.Duration, killed.Failures)
	time.Sleep(3 * time.Second)
	if err := startKnapp("knapp-1"); err != nil {
		t.Fatal(err)
	}
	s.waitRollout("revision 2 promoted", func(st *v1alpha1.RolloutStatus) error {
		record(st)
		return phaseIs(st, rev2, v1alpha1.RolloutPromoted)
	})
	for i := 1; i < len(seen); i++ {
		prev, cur := seen[i-1], seen[i]
		if cur.Step < prev.Step || cur.Step == prev.Step && cur.StepElapsed.Duration < prev.StepElapsed.Duration {
			t.Errorf("the rollout went back: from step %d (%s) to step %d (%s)", prev.Step, prev.StepElapsed.Duration, cur.Step, cur.StepElapsed.Duration)
		}
		if prev.AnalyzedAt != nil && cur.AnalyzedAt != nil && !cur.AnalyzedAt.After(prev.AnalyzedAt.Time) && cur.Phase == prev.Phase {
			t.Errorf("an interval was judged twice: at %s and again at %s", prev.AnalyzedAt, cur.AnalyzedAt)
		}
		if cur.Failures < prev.Failures {
			t.Errorf("failures went from %d to %d", prev.Failures, cur.Failures)
		}
	}
	resumed := false
	for _, st := range seen {
		resumed = resumed || st.AnalyzedAt != nil && st.AnalyzedAt.After(killed.AnalyzedAt.Time) && st.Step == killed.Step &&
			st.StepElapsed.Duration == killed.StepElapsed.Duration+interval.Duration
	}
	if !resumed {
		t.Errorf("no status after the restart continued step %d from %s: %+v", killed.Step, killed.StepElapsed.Duration, seen)
	}
}
