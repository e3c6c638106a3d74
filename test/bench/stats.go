package main

import (
	"math"
	"slices"
	"time"
)

// Dist summarises durations in milliseconds.
type Dist struct {
	Count  int     `json:"count"`
	P50ms  float64 `json:"p50_ms"`
	P95ms  float64 `json:"p95_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
}

func distOf(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Dist{
		Count: len(s),
		P50ms: ms(rank(s, 0.50)), P95ms: ms(rank(s, 0.95)), P99ms: ms(rank(s, 0.99)),
		MaxMs: ms(s[len(s)-1]), MeanMs: ms(sum / time.Duration(len(s))),
	}
}

// rank is the nearest-rank percentile of sorted: the smallest value with at
// least p of the values at or below it.
func rank(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ratio is a/b, 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
