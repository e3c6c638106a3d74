package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Progressive releases the canary in steps: each step gives it a percent of
// the traffic and holds there while Prometheus judges it, interval by
// interval; too many failed intervals roll it back, and after the last step
// it takes all traffic (promoted). knapp drives it through status.rollout
// and never writes the spec.
type Progressive struct {
	// Steps the canary climbs, in increasing percents: a step at 0 serves
	// only the requests of canary.match (the cohort first). After the last
	// step the canary is promoted to 100%.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=20
	Steps []RolloutStep `json:"steps"`

	// Analysis judges the canary by its metrics in Prometheus. Without it
	// a step passes once its pause elapsed.
	// +optional
	Analysis *Analysis `json:"analysis,omitempty"`

	// Sticky keeps a visitor on the revision they got until the rollout
	// ends: knapp's VirtualService splits by weight between the stable and
	// canary hosts and sets a cookie naming the revision. Needs
	// spec.release.stable.
	// +optional
	Sticky bool `json:"sticky,omitempty"`

	// Paused holds the rollout at its current step: no analysis, no step
	// forward or back.
	// +optional
	Paused bool `json:"paused,omitempty"`
}

// RolloutStep is one rung of the ladder.
type RolloutStep struct {
	// Percent of the requests the canary takes during the step.
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Percent int32 `json:"percent"`

	// Pause is how long the step holds, counting only intervals whose
	// analysis passed, such as 5m. 0 passes at the first analysis.
	// +optional
	Pause metav1.Duration `json:"pause,omitempty"`
}

// Analysis says how a canary is judged. Each interval knapp queries
// Prometheus for the canary (and the stable, for comparison) over that
// interval; an interval with fewer than minRequests requests neither passes
// nor fails, it waits.
type Analysis struct {
	// Interval between analyses, and the window each looks at; at least
	// 10s. Defaults to 1m.
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// MinRequests the canary must serve in an interval for it to count.
	// Defaults to 50.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MinRequests *int64 `json:"minRequests,omitempty"`

	// FailureLimit: more failed intervals than this roll the canary back.
	// Defaults to 2.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	FailureLimit *int32 `json:"failureLimit,omitempty"`

	// SuccessRate is the lowest share of answers that are not 5xx, in
	// percent, such as 99.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	SuccessRate *float64 `json:"successRate,omitempty"`

	// Latency is the highest response time at a percentile.
	// +optional
	Latency *LatencyCheck `json:"latency,omitempty"`

	// Queries are the team's own PromQL checks. In the query,
	// {{.Revision}}, {{.Namespace}}, {{.App}} and {{.Interval}} (such as
	// 1m) stand for the revision judged, its namespace, the App and the
	// interval.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Queries []MetricQuery `json:"queries,omitempty"`
}

// LatencyCheck bounds a percentile of the response time.
type LatencyCheck struct {
	// Percentile such as 99 or 99.9.
	// +required
	// +kubebuilder:validation:ExclusiveMinimum=true
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:ExclusiveMaximum=true
	// +kubebuilder:validation:Maximum=100
	Percentile float64 `json:"percentile"`

	// MaxMilliseconds the percentile may take.
	// +required
	// +kubebuilder:validation:Minimum=1
	MaxMilliseconds int64 `json:"maxMilliseconds"`
}

// MetricQuery is a PromQL query whose value must stay within bounds.
type MetricQuery struct {
	// Name of the check, as status and events report it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Query in PromQL that returns one number.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Query string `json:"query"`

	// Min is the lowest value that passes.
	// +optional
	Min *float64 `json:"min,omitempty"`

	// Max is the highest value that passes.
	// +optional
	Max *float64 `json:"max,omitempty"`
}

// RolloutPhase is where a progressive release stands.
type RolloutPhase string

// Rollout phases.
const (
	// RolloutProgressing: the canary climbs the steps.
	RolloutProgressing RolloutPhase = "Progressing"
	// RolloutPaused: spec.release.progressive.paused holds the step.
	RolloutPaused RolloutPhase = "Paused"
	// RolloutPromoted: every step passed; the canary takes all traffic.
	RolloutPromoted RolloutPhase = "Promoted"
	// RolloutRolledBack: the analysis failed; the stable takes all traffic
	// until the canary or the strategy changes in the spec.
	RolloutRolledBack RolloutPhase = "RolledBack"
)

// RolloutStatus is a progressive release's state: enough for a restarted
// knapp to resume at the same step with the same elapsed time and failures.
type RolloutStatus struct {
	// Revision under rollout (spec.release.canary.revision, resolved).
	// +optional
	Revision string `json:"revision,omitempty"`

	// StableRevision the canary is compared with and rolled back to: the
	// spec's stable, else the revision the previous rollout promoted.
	// +optional
	StableRevision string `json:"stableRevision,omitempty"`

	// Strategy identifies the spec's canary and progressive settings the
	// rollout follows (a hash): when they change, a rollout starts over,
	// and a rolled-back revision may be tried again.
	// +optional
	Strategy string `json:"strategy,omitempty"`

	// Phase of the rollout.
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`

	// Step is the current step of spec.release.progressive.steps, counted
	// from 1.
	// +optional
	Step int32 `json:"step"`

	// Percent the canary takes now.
	// +optional
	Percent int32 `json:"percent"`

	// StartedAt is when the rollout started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// IntervalStart is when the interval under way began: the end of the
	// last one analysed, or when the step started. The next analysis looks
	// at the interval from here.
	// +optional
	IntervalStart *metav1.Time `json:"intervalStart,omitempty"`

	// StepElapsed is how much of the step's pause has passed: the intervals
	// whose analysis passed.
	// +optional
	StepElapsed metav1.Duration `json:"stepElapsed,omitempty"`

	// Failures is how many intervals failed in this rollout.
	// +optional
	Failures int32 `json:"failures"`

	// Message says what the rollout does or waits for, in words.
	// +optional
	Message string `json:"message,omitempty"`

	// Analyses are the checks of the last interval analysed.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Analyses []AnalysisResult `json:"analyses,omitempty"`

	// AnalyzedAt is the end of the last interval analysed.
	// +optional
	AnalyzedAt *metav1.Time `json:"analyzedAt,omitempty"`
}

// Verdict is the outcome of a check, or of an interval.
type Verdict string

// Verdicts.
const (
	// VerdictPass: within the threshold.
	VerdictPass Verdict = "Pass"
	// VerdictFail: outside the threshold.
	VerdictFail Verdict = "Fail"
	// VerdictInconclusive: too few requests to judge; the step waits.
	VerdictInconclusive Verdict = "Inconclusive"
	// VerdictUnknown: the metric could not be read (Prometheus
	// unreachable, a query error); the step holds.
	VerdictUnknown Verdict = "Unknown"
)

// AnalysisResult is one check of one interval.
type AnalysisResult struct {
	// Metric is the check: requests, successRate, latency, or a query's name.
	Metric string `json:"metric"`
	// Value of the canary, as measured; empty when it could not be read.
	// +optional
	Value string `json:"value,omitempty"`
	// Stable is the stable revision's value over the same interval, for
	// comparison.
	// +optional
	Stable string `json:"stable,omitempty"`
	// Threshold the value must meet, such as ">= 99".
	// +optional
	Threshold string `json:"threshold,omitempty"`
	// Verdict of the check.
	Verdict Verdict `json:"verdict"`
	// Message says why, when the check did not pass.
	// +optional
	Message string `json:"message,omitempty"`
}
