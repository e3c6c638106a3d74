package v1alpha1

import (
	"fmt"
	"math"
	"strconv"
)

// Reading is one metric of one revision over an interval, as Prometheus
// answered: a value (NaN when the query returned no data) or the error
// that kept it from answering.
//
// +kubebuilder:object:generate=false
type Reading struct {
	Value float64
	Err   error
}

// Readings of one revision by metric: ReadingRequests, ReadingErrors,
// CheckLatency (milliseconds) and each query's name.
//
// +kubebuilder:object:generate=false
type Readings map[string]Reading

// ReadingRequests and ReadingErrors are the requests a revision served in
// the interval and how many of them answered 5xx.
const (
	ReadingRequests = CheckRequests
	ReadingErrors   = "errors"
)

// Judge turns an interval's readings into its checks and its verdict. An
// interval with fewer requests than minRequests is Inconclusive whatever
// else it shows: a handful of requests proves nothing either way. Then a
// failed check fails the interval, a check that could not be read holds
// it (Unknown), and a check without data leaves it Inconclusive.
func (a *Analysis) Judge(canary, stable Readings) ([]AnalysisResult, Verdict) {
	req := canary[ReadingRequests]
	requests := AnalysisResult{Metric: CheckRequests, Value: formatReading(req), Stable: formatReading(stable[ReadingRequests]),
		Threshold: fmt.Sprintf(">= %d", a.MinRequestsOrDefault())}
	switch {
	case req.Err != nil:
		requests.Verdict, requests.Message = VerdictUnknown, req.Err.Error()
	case math.IsNaN(req.Value) || req.Value < float64(a.MinRequestsOrDefault()):
		requests.Verdict = VerdictInconclusive
		requests.Message = fmt.Sprintf("the canary served %s requests in the interval; at least %d are needed to judge it", formatFloat(orZero(req.Value)), a.MinRequestsOrDefault())
	default:
		requests.Verdict = VerdictPass
	}
	results := []AnalysisResult{requests}
	if a.SuccessRate != nil {
		results = append(results, judgeBound(CheckSuccessRate, successRate(canary), successRate(stable), a.SuccessRate, nil, "%"))
	}
	if l := a.Latency; l != nil {
		max := float64(l.MaxMilliseconds)
		results = append(results, judgeBound(CheckLatency, canary[CheckLatency], stable[CheckLatency], nil, &max, "ms"))
		results[len(results)-1].Metric = fmt.Sprintf("%s p%s", CheckLatency, formatFloat(l.Percentile))
	}
	for _, q := range a.Queries {
		results = append(results, judgeBound(q.Name, canary[q.Name], stable[q.Name], q.Min, q.Max, ""))
	}
	if requests.Verdict != VerdictPass {
		for i := 1; i < len(results); i++ {
			if results[i].Verdict == VerdictFail || results[i].Verdict == VerdictPass {
				results[i].Verdict, results[i].Message = VerdictInconclusive, "not judged: too few requests"
			}
		}
		return results, requests.Verdict
	}
	return results, IntervalVerdict(results)
}

// IntervalVerdict is the verdict of an interval's checks: Fail over
// Unknown over Inconclusive over Pass (Pass without checks).
func IntervalVerdict(results []AnalysisResult) Verdict {
	rank := map[Verdict]int{VerdictPass: 0, VerdictInconclusive: 1, VerdictUnknown: 2, VerdictFail: 3}
	v := VerdictPass
	for _, r := range results {
		if rank[r.Verdict] > rank[v] {
			v = r.Verdict
		}
	}
	return v
}

// UnknownAsFailed turns the checks that could not be read into failed
// ones, for a platform whose analysis.onError is rollback.
func UnknownAsFailed(results []AnalysisResult) []AnalysisResult {
	out := append([]AnalysisResult(nil), results...)
	for i := range out {
		if out[i].Verdict == VerdictUnknown {
			out[i].Verdict = VerdictFail
		}
	}
	return out
}

// successRate is the share of requests that did not answer 5xx, in
// percent; NaN without requests.
func successRate(r Readings) Reading {
	req, errs := r[ReadingRequests], r[ReadingErrors]
	switch {
	case req.Err != nil:
		return req
	case errs.Err != nil:
		return errs
	case math.IsNaN(req.Value) || req.Value <= 0:
		return Reading{Value: math.NaN()}
	}
	return Reading{Value: 100 * (req.Value - orZero(errs.Value)) / req.Value}
}

// judgeBound checks a reading against a minimum, a maximum or both.
func judgeBound(metric string, canary, stable Reading, min, max *float64, unit string) AnalysisResult {
	res := AnalysisResult{Metric: metric, Value: formatReading(canary) + unitIfSet(canary, unit), Stable: formatReading(stable) + unitIfSet(stable, unit),
		Threshold: threshold(min, max, unit)}
	v := canary.Value
	switch {
	case canary.Err != nil:
		res.Verdict, res.Message = VerdictUnknown, canary.Err.Error()
	case math.IsNaN(v):
		res.Verdict, res.Message = VerdictInconclusive, "no data for the canary in the interval"
	case min != nil && v < *min, max != nil && v > *max:
		res.Verdict = VerdictFail
		res.Message = fmt.Sprintf("%s is %s%s, outside %s", metric, formatFloat(v), unit, res.Threshold)
	default:
		res.Verdict = VerdictPass
	}
	return res
}

func threshold(min, max *float64, unit string) string {
	switch {
	case min != nil && max != nil:
		return fmt.Sprintf("%s%s..%s%s", formatFloat(*min), unit, formatFloat(*max), unit)
	case min != nil:
		return fmt.Sprintf(">= %s%s", formatFloat(*min), unit)
	case max != nil:
		return fmt.Sprintf("<= %s%s", formatFloat(*max), unit)
	}
	return ""
}

func formatReading(r Reading) string {
	if r.Err != nil || math.IsNaN(r.Value) {
		return ""
	}
	return formatFloat(r.Value)
}

func unitIfSet(r Reading, unit string) string {
	if formatReading(r) == "" {
		return ""
	}
	return unit
}

// formatFloat writes a value as people read it: 99.5, 120, 0.0123.
func formatFloat(v float64) string {
	if math.Abs(v) >= 1 {
		v = math.Round(v*1000) / 1000
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func orZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
