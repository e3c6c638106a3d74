package hookapi

import (
	"fmt"
	"testing"
	"time"
)

// An App's bucket refills at its rate, and says how long until it does.
func TestBuildLimiterRefills(t *testing.T) {
	l := newBuildLimiter(6, 3)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.allow("team-a/shop"); !ok {
			t.Fatalf("build %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("team-a/shop")
	if ok || wait != 10*time.Second || retryAfter(wait) != 10 {
		t.Fatalf("past the burst: %v, wait %v: want a refusal for 10s (6 a minute)", ok, wait)
	}
	if ok, _ := l.allow("team-a/other"); !ok {
		t.Error("another App refused")
	}
	now = now.Add(wait)
	if ok, _ := l.allow("team-a/shop"); !ok {
		t.Error("refused once the wait was over")
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	for d, want := range map[time.Duration]int{time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 59500 * time.Millisecond: 60} {
		if got := retryAfter(d); got != want {
			t.Errorf("retryAfter(%v) = %d, want %d", d, got, want)
		}
	}
}

// The limiters kept stay bounded: full buckets go first, which loses
// nothing; else the least recently used.
func TestBuildLimiterIsBounded(t *testing.T) {
	l := newBuildLimiter(6, 3)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for i := range maxLimitedApps + 10 {
		l.allow(fmt.Sprintf("ns/app-%d", i))
		now = now.Add(time.Millisecond)
	}
	if n := len(l.apps); n > maxLimitedApps {
		t.Errorf("%d limiters kept, want at most %d", n, maxLimitedApps)
	}
	// A bucket in use survives while older full ones are dropped.
	now = now.Add(time.Minute)
	for range 3 {
		l.allow("ns/busy")
	}
	for i := range maxLimitedApps {
		l.allow(fmt.Sprintf("ns/new-%d", i))
	}
	if ok, _ := l.allow("ns/busy"); ok {
		t.Error("the busy App's empty bucket was dropped for a new one")
	}
}
