package progressive

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// A healthy canary climbs every step, the Knative Service's split follows
// each, and it is promoted: it takes all traffic, knapp's routes go, the
// condition, an event and the metrics say so.
func TestHealthyCanaryIsPromotedThroughEveryStep(t *testing.T) {
	t.Parallel()
	s := newScenario(t, progressive(ladder(0, 20, 50), judged(1)))
	rev1, rev2 := s.revision(1), s.revision(2)
	s.load(1, rps, ok, fast)
	s.load(2, rps, ok, fast)
	s.release(2, nil)

	var steps []int32
	split := map[int32]map[string]int64{}
	app := s.waitRollout("revision 2 promoted", func(st *v1alpha1.RolloutStatus) error {
		if st.Revision == rev2 && st.Phase == v1alpha1.RolloutProgressing && (len(steps) == 0 || steps[len(steps)-1] != st.Step) {
			steps = append(steps, st.Step)
			split[st.Step] = s.traffic()
		}
		return phaseIs(st, rev2, v1alpha1.RolloutPromoted)
	})
	if !slices.Equal(steps, []int32{1, 2, 3}) {
		t.Errorf("steps seen %v, want 1, 2, 3 in order", steps)
	}
	for step, want := range map[int32]int64{1: 0, 2: 20, 3: 50} {
		if got := split[step]; got != nil && (got[rev2] != want || got[rev1] != 100-want || got["tag:canary"] != 1) {
			t.Errorf("step %d: the Service's split is %v, want %s at %d%% tagged canary, %s at %d%%", step, got, rev2, want, rev1, 100-want)
		}
	}
	if got := s.traffic(); got[rev2] != 100 || len(got) != 1 {
		t.Errorf("after promotion the split is %v, want %s alone at 100%%", got, rev2)
	}
	if err := conditionIs(app, v1alpha1.ConditionRolloutSucceeded, metav1.ConditionTrue, v1alpha1.ReasonPromoted); err != nil {
		t.Error(err)
	}
	checkAnalysis(t, app.Status.Rollout, v1alpha1.CheckSuccessRate, v1alpha1.VerdictPass, "100%")
	waitNoRoutes(t, s)
	eventually(t, "the step events", func() error {
		return errors.Join(eventsSay(s.key, "Normal", "Step 2/3", rev2, "takes 20%"), eventsSay(s.key, "Normal", "Promoted", rev2))
	})
	families, err := scrapeKnapp()
	if err != nil {
		t.Fatal(err)
	}
	if counter(families, "knapp_rollouts_total", "promoted") < 1 || counter(families, "knapp_rollout_steps_total", "passed") < 3 ||
		counter(families, "knapp_rollout_analyses_total", "Pass") < 3 {
		t.Errorf("knapp's rollout metrics do not count this rollout: %v", families["knapp_rollouts_total"])
	}
}

// A canary answering 5xx fails its intervals; one more than failureLimit
// rolls it back: the stable takes all traffic, the cohort's rule goes, the
// condition and a warning event name the metric, value and threshold. It is
// not tried again until the strategy changes.
func TestFailingCanaryIsRolledBack(t *testing.T) {
	t.Parallel()
	s := newScenario(t, progressive(ladder(0, 20, 50), judged(1)))
	rev1, rev2 := s.revision(1), s.revision(2)
	s.load(1, rps, ok, fast)
	s.load(2, rps/2, ok, fast)
	s.load(2, rps/2, failing, fast)
	s.release(2, nil)

	app := s.waitRollout("revision 2 rolled back", func(st *v1alpha1.RolloutStatus) error {
		return phaseIs(st, rev2, v1alpha1.RolloutRolledBack)
	})
	st := app.Status.Rollout
	if st.Failures != 2 {
		t.Errorf("rolled back after %d failed intervals, want 2 (failureLimit 1)", st.Failures)
	}
	if got := s.traffic(); got[rev1] != 100 || got[rev2] != 0 {
		t.Errorf("after the rollback the split is %v, want %s at 100%%", got, rev1)
	}
	c := app.Status.GetCondition(v1alpha1.ConditionRolloutSucceeded)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != v1alpha1.ReasonRolledBack ||
		!strings.Contains(c.Message, "successRate") || !strings.Contains(c.Message, "threshold >= 99%") {
		t.Errorf("RolloutSucceeded is %+v, want False RolledBack naming successRate, its value and threshold", c)
	}
	checkAnalysis(t, st, v1alpha1.CheckSuccessRate, v1alpha1.VerdictFail, "%")
	waitNoRoutes(t, s)
	eventually(t, "the rollback's warning", func() error { return eventsSay(s.key, "Warning", "Rolled back", "successRate") })

	// Two more intervals: a rolled-back revision is not tried again.
	time.Sleep(2 * interval.Duration)
	if again := s.app().Status.Rollout; again.Phase != v1alpha1.RolloutRolledBack || again.Failures != 2 || again.Revision != rev2 {
		t.Errorf("the rolled-back revision was tried again: %+v", again)
	}
	// A changed strategy tries it again, from the first step.
	changed := time.Now().Add(-time.Second) // status times are whole seconds
	s.update(func(a *v1alpha1.App) { a.Spec.Release.Progressive.Analysis.FailureLimit = ptr.To[int32](5) })
	s.waitRollout("revision 2 rolled out again", func(st *v1alpha1.RolloutStatus) error {
		if st.Revision != rev2 || st.Phase != v1alpha1.RolloutProgressing || st.StartedAt == nil || st.StartedAt.Time.Before(changed) {
			return fmt.Errorf("rollout %+v", st)
		}
		return nil
	})
}

// A canary slower than the latency bound is rolled back at the first
// failed interval with failureLimit 0.
func TestLatencyRegressionIsRolledBack(t *testing.T) {
	t.Parallel()
	s := newScenario(t, progressive(ladder(0, 20, 50), judged(0)))
	rev1, rev2 := s.revision(1), s.revision(2)
	s.load(1, rps, ok, fast)
	s.load(2, rps, ok, 400*time.Millisecond)
	s.release(2, nil)

	app := s.waitRollout("revision 2 rolled back", func(st *v1alpha1.RolloutStatus) error {
		return phaseIs(st, rev2, v1alpha1.RolloutRolledBack)
	})
	if c := app.Status.GetCondition(v1alpha1.ConditionRolloutSucceeded); c == nil || !strings.Contains(c.Message, "latency p99") || !strings.Contains(c.Message, "<= 250ms") {
		t.Errorf("RolloutSucceeded %+v does not name the latency, its value and bound", c)
	}
	checkAnalysis(t, app.Status.Rollout, "latency p99", v1alpha1.VerdictFail, "ms")
	if got := s.traffic(); got[rev1] != 100 {
		t.Errorf("after the rollback the split is %v", got)
	}
}

// Too few requests neither pass nor fail an interval: the step waits, and
// says for what.
func TestTooFewRequestsWait(t *testing.T) {
	t.Parallel()
	analysis := judged(0)
	analysis.MinRequests = ptr.To[int64](1000)
	s := newScenario(t, progressive(ladder(0, 20, 50), analysis))
	rev2 := s.revision(2)
	s.load(2, 5, ok, fast)
	s.release(2, nil)

	var analysed []time.Time
	app := s.waitRollout("three intervals analysed", func(st *v1alpha1.RolloutStatus) error {
		if st.Revision == rev2 && st.AnalyzedAt != nil && (len(analysed) == 0 || !analysed[len(analysed)-1].Equal(st.AnalyzedAt.Time)) {
			analysed = append(analysed, st.AnalyzedAt.Time)
		}
		if len(analysed) < 3 {
			return fmt.Errorf("%d intervals analysed", len(analysed))
		}
		return nil
	})
	st := app.Status.Rollout
	if st.Phase != v1alpha1.RolloutProgressing || st.Step != 1 || st.Failures != 0 || st.StepElapsed.Duration != 0 {
		t.Errorf("waiting moved the rollout: %+v", st)
	}
	checkAnalysis(t, st, v1alpha1.CheckRequests, v1alpha1.VerdictInconclusive, "")
	if c := app.Status.GetCondition(v1alpha1.ConditionRolloutSucceeded); c == nil || !strings.Contains(c.Message, "Waiting for at least 1000 requests") {
		t.Errorf("RolloutSucceeded %+v does not say what the step waits for", c)
	}
}

// A new revision during a rollout starts over against the revision the
// last rollout promoted, not the unfinished canary.
func TestNewRevisionDuringRolloutStartsOverAgainstThePromotedOne(t *testing.T) {
	t.Parallel()
	steps := ladder(0, 20, 50)
	steps[1].Pause = seconds(60)
	s := newScenario(t, progressive(steps, judged(1)))
	rev1, rev2, rev3 := s.revision(1), s.revision(2), s.revision(3)
	for n := 1; n <= 3; n++ {
		s.load(n, rps, ok, fast)
	}
	s.release(2, nil)
	s.waitRollout("revision 2 at step 2", func(st *v1alpha1.RolloutStatus) error {
		if st.Revision != rev2 || st.Step != 2 {
			return fmt.Errorf("rollout %+v", st)
		}
		return nil
	})
	s.release(3, nil)
	s.waitRollout("revision 3 from the first step against revision 1", func(st *v1alpha1.RolloutStatus) error {
		if st.Revision != rev3 || st.StableRevision != rev1 || st.Step != 1 || st.Phase != v1alpha1.RolloutProgressing {
			return fmt.Errorf("rollout %+v", st)
		}
		return nil
	})
	if got := s.traffic(); got[rev1] != 100 || got[rev3] != 0 || len(got) != 3 {
		t.Errorf("the split is %v, want %s at 100%% and %s tagged canary, no %s", got, rev1, rev3, rev2)
	}
}

// With sticky sessions knapp's VirtualService splits by the step's weight
// between the stable and canary tag hosts and pins each visitor by cookie;
// in-cluster callers keep Knative's split with the same weights (the
// stable tagged meanwhile). Once promoted, Knative's routes serve again.
func TestStickyRolloutsVirtualService(t *testing.T) {
	t.Parallel()
	s := newScenario(t, progressive(ladder(0, 20, 50), judged(1)))
	rev1, rev2 := s.revision(1), s.revision(2)
	s.load(1, rps, ok, fast)
	s.load(2, rps, ok, fast)
	s.release(2, func(a *v1alpha1.App) {
		a.Spec.Release.Stable = rev1
		a.Spec.Release.Progressive.Sticky = true
	})
	s.waitRollout("revision 2 at 20%", func(st *v1alpha1.RolloutStatus) error {
		if st.Revision != rev2 || st.Percent != 20 {
			return fmt.Errorf("rollout %+v", st)
		}
		return nil
	})
	vs := &istiov1.VirtualService{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: s.ns.Name, Name: "shop-routes"}, vs); err != nil {
		t.Fatal(err)
	}
	last := vs.Spec.Http[len(vs.Spec.Http)-1]
	var weights []string
	for _, d := range last.Route {
		weights = append(weights, fmt.Sprintf("%d %s %s", d.Weight, d.Headers.GetRequest().GetSet()[":authority"], d.Headers.GetResponse().GetAdd()["set-cookie"]))
	}
	want := []string{
		fmt.Sprintf("80 stable-shop.%s.svc.cluster.local knapp-revision=%s; Path=/; HttpOnly; SameSite=Lax", s.ns.Name, rev1),
		fmt.Sprintf("20 canary-shop.%s.svc.cluster.local knapp-revision=%s; Path=/; HttpOnly; SameSite=Lax", s.ns.Name, rev2),
	}
	if last.Name != "sticky-split" || !slices.Equal(weights, want) {
		t.Errorf("the last route %s splits %q, want %q", last.Name, weights, want)
	}
	if names := routeNames(vs); !slices.Equal(names, []string{"canary-0", "sticky-canary", "sticky-stable", "sticky-split"}) {
		t.Errorf("routes %v", names)
	}
	if got := s.traffic(); got[rev1] != 80 || got[rev2] != 20 || got["tag:stable"] != 1 {
		t.Errorf("Knative's split is %v, want the same weights, the stable tagged", got)
	}
	s.waitRollout("revision 2 promoted", func(st *v1alpha1.RolloutStatus) error {
		return phaseIs(st, rev2, v1alpha1.RolloutPromoted)
	})
	waitNoRoutes(t, s)
	if got := s.traffic(); got["tag:stable"] != 0 {
		t.Errorf("the stable keeps its tag after the rollout: %v", got)
	}
}

func routeNames(vs *istiov1.VirtualService) []string {
	var out []string
	for _, r := range vs.Spec.Http {
		out = append(out, r.Name)
	}
	return out
}

// waitNoRoutes waits until knapp's VirtualService is gone: no match rule
// routes to the canary any more and Knative serves the host again.
func waitNoRoutes(t *testing.T, s *scenario) {
	t.Helper()
	eventually(t, "knapp's VirtualService gone", func() error {
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: s.ns.Name, Name: "shop-routes"}, &istiov1.VirtualService{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err == nil {
			return errors.New("still there")
		}
		return err
	})
}

// checkAnalysis finds the last analyses' check of metric with the verdict,
// its value containing value.
func checkAnalysis(t *testing.T, st *v1alpha1.RolloutStatus, metric string, verdict v1alpha1.Verdict, value string) {
	t.Helper()
	for _, a := range st.Analyses {
		if a.Metric == metric {
			if a.Verdict != verdict || !strings.Contains(a.Value, value) {
				t.Errorf("%s: %+v, want %s with a value of %q", metric, a, verdict, value)
			}
			return
		}
	}
	t.Errorf("no %s among the last analyses %+v", metric, st.Analyses)
}

// eventually polls check for up to a minute.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("%s: %v", what, err)
}
