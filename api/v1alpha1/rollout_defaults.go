package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults of spec.release.progressive.analysis.
const (
	// DefaultAnalysisInterval: Flagger's and Argo Rollouts' usual interval.
	DefaultAnalysisInterval = time.Minute
	// MinAnalysisInterval: shorter windows hold too few scrapes for rate().
	MinAnalysisInterval = 10 * time.Second
	// MaxAnalysisInterval bounds how long a rollout goes unjudged.
	MaxAnalysisInterval = time.Hour
	// DefaultMinRequests: fewer requests in an interval say too little.
	DefaultMinRequests int64 = 50
	// DefaultFailureLimit: a third failed interval rolls back.
	DefaultFailureLimit int32 = 2
)

// setDefaults writes the analysis defaults into a, for
// SetDefaults.
func (a *Analysis) setDefaults() {
	if a.Interval == nil {
		a.Interval = &metav1.Duration{Duration: DefaultAnalysisInterval}
	}
	if a.MinRequests == nil {
		v := DefaultMinRequests
		a.MinRequests = &v
	}
	if a.FailureLimit == nil {
		v := DefaultFailureLimit
		a.FailureLimit = &v
	}
}

// IntervalOrDefault is analysis.interval, else 1m; without an analysis,
// steps are still checked once an interval.
func (a *Analysis) IntervalOrDefault() time.Duration {
	if a == nil || a.Interval == nil {
		return DefaultAnalysisInterval
	}
	return a.Interval.Duration
}

// MinRequestsOrDefault is analysis.minRequests, else 50.
func (a *Analysis) MinRequestsOrDefault() int64 {
	if a == nil || a.MinRequests == nil {
		return DefaultMinRequests
	}
	return *a.MinRequests
}

// FailureLimitOrDefault is analysis.failureLimit, else 2.
func (a *Analysis) FailureLimitOrDefault() int32 {
	if a == nil || a.FailureLimit == nil {
		return DefaultFailureLimit
	}
	return *a.FailureLimit
}
