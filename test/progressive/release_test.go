package progressive

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
)

// ladder is steps at these percents, each held for one interval.
func ladder(percents ...int32) []v1alpha1.RolloutStep {
	steps := make([]v1alpha1.RolloutStep, len(percents))
	for i, p := range percents {
		steps[i] = v1alpha1.RolloutStep{Percent: p, Pause: interval}
	}
	return steps
}

// cohort is the x-canary: true header rule.
var cohort = []v1alpha1.MatchRule{{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Exact: ptr.To("true")}}}}

// judged is the analysis of most scenarios: every 10s, at least 30
// requests, 99% of them not 5xx, p99 under 250ms, failureLimit as given.
func judged(failureLimit int32) *v1alpha1.Analysis {
	return &v1alpha1.Analysis{
		Interval:     &interval,
		MinRequests:  ptr.To[int64](30),
		FailureLimit: ptr.To(failureLimit),
		SuccessRate:  ptr.To(99.0),
		Latency:      &v1alpha1.LatencyCheck{Percentile: 99, MaxMilliseconds: 250},
	}
}

// progressive is a release of the latest revision, the cohort first, by
// the steps and analysis given.
func progressive(steps []v1alpha1.RolloutStep, analysis *v1alpha1.Analysis) *v1alpha1.Release {
	return &v1alpha1.Release{
		Canary:      &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Match: cohort},
		Progressive: &v1alpha1.Progressive{Steps: steps, Analysis: analysis},
	}
}

// healthy is traffic that passes every check: 20 requests a second,
// answered 200 in 5ms.
const (
	rps     = 20
	fast    = 5 * time.Millisecond
	ok      = 200
	failing = 503
)

// seconds is a duration for status comparisons.
func seconds(n int) metav1.Duration { return metav1.Duration{Duration: time.Duration(n) * time.Second} }
