package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// unreadable is a Prometheus that answers nothing.
type unreadable struct{}

func (unreadable) Measure(_ context.Context, a *v1alpha1.Analysis, _ v1alpha1.QueryVars, _ time.Time) v1alpha1.Readings {
	err := errors.New("dial tcp 127.0.0.1:9090: connection refused")
	return v1alpha1.Readings{v1alpha1.ReadingRequests: {Err: err}, v1alpha1.ReadingErrors: {Err: err}}
}

// When Prometheus cannot answer, the platform decides: hold (nothing
// counts), or count the interval as failed, naming the error.
func TestUnreadableMetricsHoldOrFailByThePlatform(t *testing.T) {
	for _, tc := range []struct {
		onError  string
		failures int32
		says     string
	}{
		{platform.OnErrorHold, 0, "Step 1/2 holds: the metrics could not be read: dial tcp"},
		{platform.OnErrorRollback, 1, "requests could not be read: dial tcp"},
	} {
		t.Run(tc.onError, func(t *testing.T) {
			cfg := platform.Default()
			cfg.Analysis.OnError = tc.onError
			r := &Reconciler{Platform: cfg, Metrics: unreadable{}}
			p := &v1alpha1.Progressive{
				Steps:    []v1alpha1.RolloutStep{{Percent: 10}, {Percent: 50}},
				Analysis: &v1alpha1.Analysis{FailureLimit: ptr.To[int32](3)},
			}
			now := time.Now()
			st, _ := p.TrackRollout(nil, "shop-2", "shop-1", "s", "shop-1", now.Add(-time.Minute))
			s := &state{app: &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "shop"}}}
			r.judgeInterval(context.Background(), s, p, st, now)
			if st.Failures != tc.failures || st.Step != 1 || !strings.Contains(st.Message, tc.says) {
				t.Errorf("after an unreadable interval: failures %d, step %d, %q; want %d failures saying %q", st.Failures, st.Step, st.Message, tc.failures, tc.says)
			}
		})
	}
}
