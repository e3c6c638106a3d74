package progressive

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// BenchmarkRollback measures how fast a failing canary is judged and its
// traffic restored: the canary starts at 20% answering 503, and from the
// end of the interval that fails it (its intervalStart plus the interval)
// the benchmark times the Knative Service's split giving the stable 100%
// again and the App's status saying RolledBack, as it sees them (polling
// every 20ms, so within 20ms of knapp's writes; knapp writes the split
// before the status). Flagger's default interval is 60s: a rollback there
// comes up to a minute after the failure; here the interval is 10s and
// what follows its end is reported. ns/op is a whole iteration, from the
// release to the rollback. No figure is asserted.
func BenchmarkRollback(b *testing.B) {
	var decided, restored []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		release := progressive(ladder(20, 50), judged(0))
		release.Canary.Match = nil
		s := newScenario(b, release)
		rev1, rev2 := s.revision(1), s.revision(2)
		s.load(1, rps, ok, fast)
		s.load(2, rps, failing, fast)
		b.StartTimer()
		s.release(2, nil)
		var intervalEnd, decidedAt, restoredAt time.Time
		err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, rolloutTimeout, true, func(ctx context.Context) (bool, error) {
			app := &v1alpha1.App{}
			if err := k8s.Get(ctx, s.key, app); err != nil {
				return false, nil
			}
			st := app.Status.Rollout
			now := time.Now()
			if st != nil && st.Revision == rev2 && st.Phase == v1alpha1.RolloutProgressing && st.IntervalStart != nil {
				intervalEnd = st.IntervalStart.Add(interval.Duration)
			}
			if decidedAt.IsZero() && st != nil && st.Revision == rev2 && st.Phase == v1alpha1.RolloutRolledBack {
				decidedAt = now
			}
			ksvc := &servingv1.Service{}
			if !intervalEnd.IsZero() && restoredAt.IsZero() && k8s.Get(ctx, s.key, ksvc) == nil && stableTakesAll(ksvc, rev1) {
				restoredAt = now
			}
			return !decidedAt.IsZero() && !restoredAt.IsZero(), nil
		})
		b.StopTimer()
		if err != nil || intervalEnd.IsZero() || restoredAt.Before(intervalEnd) {
			b.Fatalf("no rollback seen: %v", err)
		}
		decided = append(decided, decidedAt.Sub(intervalEnd))
		restored = append(restored, restoredAt.Sub(intervalEnd))
	}
	b.ReportMetric(median(decided).Seconds()*1000, "ms-interval-end-to-decision")
	b.ReportMetric(median(restored).Seconds()*1000, "ms-interval-end-to-traffic-restored")
	b.ReportMetric(median(restored).Seconds()/60, "fraction-of-flagger-60s-interval")
	if families, err := scrapeKnapp(); err == nil {
		if h := families["knapp_rollout_decision_delay_seconds"].GetMetric(); len(h) == 1 && h[0].GetHistogram().GetSampleCount() > 0 {
			hist := h[0].GetHistogram()
			b.ReportMetric(hist.GetSampleSum()/float64(hist.GetSampleCount())*1000, "ms-knapp-decision-delay-mean")
		}
	}
	fmt.Printf("rollbacks: interval end to decision %v, to traffic restored %v\n", decided, restored)
}

func stableTakesAll(ksvc *servingv1.Service, stable string) bool {
	for _, tt := range ksvc.Spec.Traffic {
		if tt.RevisionName == stable && tt.Percent != nil && *tt.Percent == 100 {
			return true
		}
	}
	return false
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
