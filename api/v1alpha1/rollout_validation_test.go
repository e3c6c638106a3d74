package v1alpha1

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// progressiveRelease is a valid progressive release, changed by edit.
func progressiveRelease(edit func(*Release)) *Release {
	r := &Release{
		Stable: "shop-00001",
		Canary: &Canary{Revision: CanaryLatest, Match: []MatchRule{headerRule("x-canary", StringMatch{Exact: matchStr("true")})}},
		Progressive: &Progressive{
			Steps: []RolloutStep{
				{Percent: 0, Pause: metav1.Duration{Duration: 5 * time.Minute}},
				{Percent: 10, Pause: metav1.Duration{Duration: 5 * time.Minute}},
				{Percent: 50, Pause: metav1.Duration{Duration: 10 * time.Minute}},
			},
			Analysis: &Analysis{
				Interval:     &metav1.Duration{Duration: time.Minute},
				MinRequests:  ptr.To[int64](50),
				FailureLimit: ptr.To[int32](2),
				SuccessRate:  ptr.To(99.0),
				Latency:      &LatencyCheck{Percentile: 99, MaxMilliseconds: 500},
				Queries: []MetricQuery{{Name: "errors", Max: ptr.To(0.01),
					Query: `sum(rate(http_errors_total{namespace="{{.Namespace}}", revision="{{.Revision}}"}[{{.Interval}}]))`}},
			},
			Sticky: true,
		},
	}
	if edit != nil {
		edit(r)
	}
	return r
}

func TestValidateProgressive(t *testing.T) {
	const p = "spec.release.progressive"
	const a = p + ".analysis"
	tests := []struct {
		name    string
		release *Release
		want    []wantFieldError
	}{
		{name: "the issue's example", release: progressiveRelease(nil)},
		{name: "latest without stable when not sticky: the previous rollout's promoted revision is the stable",
			release: progressiveRelease(func(r *Release) { r.Stable, r.Progressive.Sticky = "", false })},
		{name: "no analysis: steps are their pauses", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis = nil })},
		{name: "a step at 100 soaks before promotion", release: progressiveRelease(func(r *Release) {
			r.Progressive.Steps = append(r.Progressive.Steps, RolloutStep{Percent: 100})
		})},

		{name: "no canary to roll out", release: progressiveRelease(func(r *Release) { r.Canary = nil }),
			want: []wantFieldError{{"spec.release.canary", field.ErrorTypeRequired, `set canary.revision (usually "latest")`}}},
		{name: "canary.percent beside steps", release: progressiveRelease(func(r *Release) { r.Canary.Percent = 10 }),
			want: []wantFieldError{{"spec.release.canary.percent", field.ErrorTypeForbidden, "steps set the canary's percent"}}},
		{name: "sticky without a stable revision", release: progressiveRelease(func(r *Release) { r.Stable = "" }),
			want: []wantFieldError{{"spec.release.stable", field.ErrorTypeRequired, "sticky sessions pin each visitor"}}},
		{name: "sticky and a tag named stable", release: progressiveRelease(func(r *Release) {
			r.Tags = []RevisionTag{{Name: "stable", Revision: "shop-00001"}}
		}),
			want: []wantFieldError{{"spec.release.tags[0].name", field.ErrorTypeForbidden, "the tag stable is knapp's"}}},
		{name: "no steps", release: progressiveRelease(func(r *Release) { r.Progressive.Steps = nil }),
			want: []wantFieldError{{p + ".steps", field.ErrorTypeRequired, "at least one step"}}},
		{name: "steps not increasing", release: progressiveRelease(func(r *Release) { r.Progressive.Steps[2].Percent = 10 }),
			want: []wantFieldError{{p + ".steps[2].percent", field.ErrorTypeInvalid, "steps must increase: above the previous step's 10"}}},
		{name: "percent above 100", release: progressiveRelease(func(r *Release) { r.Progressive.Steps[2].Percent = 101 }),
			want: []wantFieldError{{p + ".steps[2].percent", field.ErrorTypeInvalid, "between 0 and 100"}}},
		{name: "negative percent", release: progressiveRelease(func(r *Release) { r.Progressive.Steps[0].Percent = -1 }),
			want: []wantFieldError{{p + ".steps[0].percent", field.ErrorTypeInvalid, "between 0 and 100"}}},
		{name: "negative pause", release: progressiveRelease(func(r *Release) { r.Progressive.Steps[1].Pause.Duration = -time.Second }),
			want: []wantFieldError{{p + ".steps[1].pause", field.ErrorTypeInvalid, "must not be negative"}}},
		{name: "interval under 10s", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis.Interval.Duration = 5 * time.Second }),
			want: []wantFieldError{{a + ".interval", field.ErrorTypeInvalid, "between 10s and 1h0m0s"}}},
		{name: "interval over an hour", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis.Interval.Duration = 2 * time.Hour }),
			want: []wantFieldError{{a + ".interval", field.ErrorTypeInvalid, "between 10s and 1h0m0s"}}},
		{name: "interval not whole seconds", release: progressiveRelease(func(r *Release) {
			r.Progressive.Analysis.Interval.Duration = 10*time.Second + time.Millisecond
		}),
			want: []wantFieldError{{a + ".interval", field.ErrorTypeInvalid, "whole seconds"}}},
		{name: "success rate above 100", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis.SuccessRate = ptr.To(100.5) }),
			want: []wantFieldError{{a + ".successRate", field.ErrorTypeInvalid, "percent between 0 and 100"}}},
		{name: "percentile 100", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis.Latency.Percentile = 100 }),
			want: []wantFieldError{{a + ".latency.percentile", field.ErrorTypeInvalid, "above 0 and below 100"}}},
		{name: "latency bound 0", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis.Latency.MaxMilliseconds = 0 }),
			want: []wantFieldError{{a + ".latency.maxMilliseconds", field.ErrorTypeInvalid, "at least 1"}}},
		{name: "PromQL that does not parse", release: progressiveRelease(func(r *Release) {
			r.Progressive.Analysis.Queries[0].Query = `sum(rate(http_errors_total[{{.Interval}}])`
		}),
			want: []wantFieldError{{a + ".queries[0].query", field.ErrorTypeInvalid, "not valid PromQL"}}},
		{name: "a template that names an unknown value", release: progressiveRelease(func(r *Release) {
			r.Progressive.Analysis.Queries[0].Query = `sum(up{pod="{{.Pod}}"})`
		}),
			want: []wantFieldError{{a + ".queries[0].query", field.ErrorTypeInvalid, "{{.Revision}}, {{.Namespace}}, {{.App}}, {{.Interval}}"}}},
		{name: "a template that does not parse", release: progressiveRelease(func(r *Release) {
			r.Progressive.Analysis.Queries[0].Query = `sum(up{pod="{{.Revision"})`
		}),
			want: []wantFieldError{{a + ".queries[0].query", field.ErrorTypeInvalid, "not a valid template"}}},
		{name: "a query without bounds", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis.Queries[0].Max = nil }),
			want: []wantFieldError{{a + ".queries[0].max", field.ErrorTypeRequired, "min, max or both"}}},
		{name: "min above max", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis.Queries[0].Min = ptr.To(1.0) }),
			want: []wantFieldError{{a + ".queries[0].min", field.ErrorTypeInvalid, "must not be above max (0.01)"}}},
		{name: "a query named like knapp's own check", release: progressiveRelease(func(r *Release) { r.Progressive.Analysis.Queries[0].Name = "latency" }),
			want: []wantFieldError{{a + ".queries[0].name", field.ErrorTypeInvalid, "knapp's own checks"}}},
		{name: "two queries of one name", release: progressiveRelease(func(r *Release) {
			r.Progressive.Analysis.Queries = append(r.Progressive.Analysis.Queries, r.Progressive.Analysis.Queries[0])
		}),
			want: []wantFieldError{{a + ".queries[1].name", field.ErrorTypeDuplicate, ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFieldErrors(t, ValidateRelease(tc.release, field.NewPath("spec", "release")), tc.want)
		})
	}
}

// The defaults written at admission equal what an App without them runs,
// so an App stored before the defaulting webhook has the same strategy.
func TestRolloutStrategyIgnoresDefaultsAndPaused(t *testing.T) {
	r := progressiveRelease(func(r *Release) { r.Progressive.Analysis = &Analysis{SuccessRate: ptr.To(99.0)} })
	before := RolloutStrategy(r)
	app := &App{Spec: AppSpec{Release: r}}
	app.SetDefaults()
	if got := app.Spec.Release.Progressive.Analysis; got.Interval == nil || got.MinRequests == nil || got.FailureLimit == nil {
		t.Fatalf("SetDefaults left analysis defaults unset: %+v", got)
	}
	if after := RolloutStrategy(app.Spec.Release); after != before {
		t.Errorf("strategy %s after defaulting, %s before", after, before)
	}
	r.Progressive.Paused = true
	if paused := RolloutStrategy(r); paused != before {
		t.Errorf("pausing changed the strategy: %s, was %s", paused, before)
	}
	r.Progressive.Steps[1].Percent = 20
	if changed := RolloutStrategy(r); changed == before {
		t.Error("a changed step left the strategy as it was")
	}
}
