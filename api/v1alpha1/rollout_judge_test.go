package v1alpha1

import (
	"errors"
	"math"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
)

func judged() *Analysis {
	return &Analysis{
		MinRequests: ptr.To[int64](50),
		SuccessRate: ptr.To(99.0),
		Latency:     &LatencyCheck{Percentile: 99, MaxMilliseconds: 500},
		Queries:     []MetricQuery{{Name: "queue", Query: "sum(up)", Max: ptr.To(10.0)}},
	}
}

func healthy() Readings {
	return Readings{ReadingRequests: {Value: 200}, ReadingErrors: {Value: 1}, CheckLatency: {Value: 120}, "queue": {Value: 2}}
}

func with(r Readings, name string, reading Reading) Readings {
	out := Readings{}
	for k, v := range r {
		out[k] = v
	}
	out[name] = reading
	return out
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name    string
		canary  Readings
		verdict Verdict
		// check is a result that must be there: metric, verdict, and a
		// part of its value or message.
		check, checkVerdict, says string
	}{
		{name: "healthy", canary: healthy(), verdict: VerdictPass, check: "successRate", checkVerdict: "Pass", says: "99.5%"},
		{name: "5xx above the limit", canary: with(healthy(), ReadingErrors, Reading{Value: 20}), verdict: VerdictFail,
			check: "successRate", checkVerdict: "Fail", says: "successRate is 90%, outside >= 99%"},
		{name: "slow", canary: with(healthy(), CheckLatency, Reading{Value: 750}), verdict: VerdictFail,
			check: "latency p99", checkVerdict: "Fail", says: "750ms, outside <= 500ms"},
		{name: "a query above its max", canary: with(healthy(), "queue", Reading{Value: 11}), verdict: VerdictFail,
			check: "queue", checkVerdict: "Fail", says: "queue is 11, outside <= 10"},
		{name: "too few requests: a failing check is not judged", canary: with(with(healthy(), ReadingRequests, Reading{Value: 10}), ReadingErrors, Reading{Value: 10}),
			verdict: VerdictInconclusive, check: "requests", checkVerdict: "Inconclusive", says: "served 10 requests in the interval; at least 50"},
		{name: "no requests at all", canary: with(healthy(), ReadingRequests, Reading{Value: math.NaN()}),
			verdict: VerdictInconclusive, check: "successRate", checkVerdict: "Inconclusive", says: "no data"},
		{name: "Prometheus down", canary: with(healthy(), ReadingRequests, Reading{Err: errors.New("connection refused")}),
			verdict: VerdictUnknown, check: "requests", checkVerdict: "Unknown", says: "connection refused"},
		{name: "one query fails to run, none fails its check: hold", canary: with(healthy(), "queue", Reading{Err: errors.New("bad_data")}),
			verdict: VerdictUnknown, check: "queue", checkVerdict: "Unknown", says: "bad_data"},
		{name: "a failed check wins over a query that could not run", canary: with(with(healthy(), "queue", Reading{Err: errors.New("bad_data")}), CheckLatency, Reading{Value: 900}),
			verdict: VerdictFail, check: "latency p99", checkVerdict: "Fail", says: "900ms"},
		{name: "a query without data waits", canary: with(healthy(), "queue", Reading{Value: math.NaN()}),
			verdict: VerdictInconclusive, check: "queue", checkVerdict: "Inconclusive", says: "no data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			results, verdict := judged().Judge(tc.canary, healthy())
			if verdict != tc.verdict {
				t.Errorf("verdict %s, want %s: %+v", verdict, tc.verdict, results)
			}
			if IntervalVerdict(results) != verdict {
				t.Errorf("IntervalVerdict %s disagrees with Judge's %s", IntervalVerdict(results), verdict)
			}
			for _, r := range results {
				if r.Metric != tc.check {
					continue
				}
				if string(r.Verdict) != tc.checkVerdict || !strings.Contains(r.Value+" "+r.Message, tc.says) {
					t.Errorf("%s: %s %q %q, want %s saying %q", r.Metric, r.Verdict, r.Value, r.Message, tc.checkVerdict, tc.says)
				}
				return
			}
			t.Errorf("no result for %s: %+v", tc.check, results)
		})
	}
}

// The stable's value over the same interval is shown beside the canary's.
func TestJudgeReportsTheStableForComparison(t *testing.T) {
	stable := with(healthy(), CheckLatency, Reading{Value: 80})
	results, _ := judged().Judge(healthy(), stable)
	for _, r := range results {
		if r.Metric == "latency p99" && (r.Value != "120ms" || r.Stable != "80ms" || r.Threshold != "<= 500ms") {
			t.Errorf("latency result %+v", r)
		}
	}
}
