package v1alpha1

import (
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateProgressive checks spec.release.progressive: a canary to roll
// out whose percent the steps set, steps that climb, an interval long
// enough for Prometheus' rate(), checks that can pass, PromQL that
// Prometheus' own parser accepts, and a stable revision to pin visitors to
// when sessions are sticky.
func validateProgressive(r *Release, path *field.Path) field.ErrorList {
	p := r.Progressive
	if p == nil {
		return nil
	}
	pp := path.Child("progressive")
	var errs field.ErrorList
	switch {
	case r.Canary == nil:
		errs = append(errs, field.Required(path.Child("canary"),
			`a progressive release rolls out the canary: set canary.revision (usually "latest")`))
	case r.Canary.Percent != 0:
		errs = append(errs, field.Forbidden(path.Child("canary", "percent"),
			"progressive.steps set the canary's percent; leave canary.percent unset"))
	}
	if p.Sticky && r.Stable == "" {
		errs = append(errs, field.Required(path.Child("stable"),
			"sticky sessions pin each visitor to the stable or the canary revision by name: name the stable revision"))
	}
	errs = append(errs, validateSteps(p.Steps, pp.Child("steps"))...)
	errs = append(errs, validateAnalysis(p.Analysis, pp.Child("analysis"))...)
	return errs
}

func validateSteps(steps []RolloutStep, p *field.Path) field.ErrorList {
	if len(steps) == 0 {
		return field.ErrorList{field.Required(p, "at least one step, such as {percent: 10, pause: 5m}")}
	}
	var errs field.ErrorList
	for i, s := range steps {
		sp := p.Index(i)
		if s.Percent < 0 || s.Percent > 100 {
			errs = append(errs, field.Invalid(sp.Child("percent"), s.Percent, "must be between 0 and 100"))
		}
		if i > 0 && s.Percent <= steps[i-1].Percent {
			errs = append(errs, field.Invalid(sp.Child("percent"), s.Percent, fmt.Sprintf(
				"steps must increase: above the previous step's %d", steps[i-1].Percent)))
		}
		if s.Pause.Duration < 0 {
			errs = append(errs, field.Invalid(sp.Child("pause"), s.Pause.Duration.String(), "must not be negative"))
		}
	}
	return errs
}

func validateAnalysis(a *Analysis, p *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	var errs field.ErrorList
	if a.Interval != nil {
		if d := a.Interval.Duration; d < MinAnalysisInterval || d > MaxAnalysisInterval {
			errs = append(errs, field.Invalid(p.Child("interval"), d.String(), fmt.Sprintf(
				"must be between %s and %s: each analysis reads rate() over the interval, which needs several scrapes", MinAnalysisInterval, MaxAnalysisInterval)))
		} else if d%time.Second != 0 {
			errs = append(errs, field.Invalid(p.Child("interval"), d.String(), "must be whole seconds, such as 30s or 1m"))
		}
	}
	if a.MinRequests != nil && *a.MinRequests < 0 {
		errs = append(errs, field.Invalid(p.Child("minRequests"), *a.MinRequests, "must not be negative"))
	}
	if a.FailureLimit != nil && (*a.FailureLimit < 0 || *a.FailureLimit > 100) {
		errs = append(errs, field.Invalid(p.Child("failureLimit"), *a.FailureLimit, "must be between 0 and 100"))
	}
	if a.SuccessRate != nil && !between(*a.SuccessRate, 0, 100) {
		errs = append(errs, field.Invalid(p.Child("successRate"), *a.SuccessRate, "must be a percent between 0 and 100, such as 99"))
	}
	if l := a.Latency; l != nil {
		if !between(l.Percentile, 0, 100) || l.Percentile == 0 || l.Percentile == 100 {
			errs = append(errs, field.Invalid(p.Child("latency", "percentile"), l.Percentile, "must be above 0 and below 100, such as 99"))
		}
		if l.MaxMilliseconds < 1 {
			errs = append(errs, field.Invalid(p.Child("latency", "maxMilliseconds"), l.MaxMilliseconds, "must be at least 1"))
		}
	}
	seen := map[string]bool{}
	for i, q := range a.Queries {
		qp := p.Child("queries").Index(i)
		switch {
		case q.Name == "":
			errs = append(errs, field.Required(qp.Child("name"), "a name for status and events, such as errors"))
		case reservedCheckNames[q.Name]:
			errs = append(errs, field.Invalid(qp.Child("name"), q.Name, "requests, successRate and latency are knapp's own checks; choose another name"))
		case seen[q.Name]:
			errs = append(errs, field.Duplicate(qp.Child("name"), q.Name))
		}
		seen[q.Name] = true
		if err := ValidateQueryTemplate(q.Query); err != nil {
			errs = append(errs, field.Invalid(qp.Child("query"), q.Query, err.Error()))
		}
		switch {
		case q.Min == nil && q.Max == nil:
			errs = append(errs, field.Required(qp.Child("max"), "a query needs min, max or both to pass or fail"))
		case q.Min != nil && q.Max != nil && *q.Min > *q.Max:
			errs = append(errs, field.Invalid(qp.Child("min"), *q.Min, fmt.Sprintf("must not be above max (%g)", *q.Max)))
		}
		for _, bound := range []struct {
			name string
			v    *float64
		}{{"min", q.Min}, {"max", q.Max}} {
			if bound.v != nil && (math.IsNaN(*bound.v) || math.IsInf(*bound.v, 0)) {
				errs = append(errs, field.Invalid(qp.Child(bound.name), *bound.v, "must be a number"))
			}
		}
	}
	return errs
}

// Names of knapp's own checks, as status.rollout.analyses reports them.
const (
	CheckRequests    = "requests"
	CheckSuccessRate = "successRate"
	CheckLatency     = "latency"
)

var reservedCheckNames = map[string]bool{CheckRequests: true, CheckSuccessRate: true, CheckLatency: true}

func between(v, lo, hi float64) bool { return !math.IsNaN(v) && v >= lo && v <= hi }
