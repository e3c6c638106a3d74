package promtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"knapp.dev/knapp/pkg/analysis"
)

// Query runs an instant query at at (the zero time: now), as knapp's
// analysis does at the end of each interval.
func (p *Prometheus) Query(ctx context.Context, query string, at time.Time) (model.Value, error) {
	if at.IsZero() {
		at = time.Now()
	}
	v, _, err := p.api.Query(ctx, query, at)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", query, err)
	}
	return v, nil
}

// Value runs an instant query that gives one number, read as knapp's
// analysis reads it: a scalar or a vector of one sample; NaN for an empty
// vector (no data); an error for more series.
func (p *Prometheus) Value(ctx context.Context, query string, at time.Time) (float64, error) {
	v, err := p.Query(ctx, query, at)
	if err != nil {
		return 0, err
	}
	return analysis.Number(query, v)
}

// WaitScrape returns once each target has been scraped successfully by a
// scrape that began after the call, so everything a QueueProxy served
// before it is in Prometheus. Scrape timestamps are the scrape's start.
func (p *Prometheus) WaitScrape(ctx context.Context, targets ...string) error {
	return p.waitScrape(ctx, time.Now(), targets)
}

// waitScrape polls each target's raw up samples (a range selector: an
// instant query would give the evaluation time, not the scrape's) until the
// newest is 1 and newer than since.
func (p *Prometheus) waitScrape(ctx context.Context, since time.Time, targets []string) error {
	last := map[string]string{}
	pending := append([]string(nil), targets...)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for len(pending) > 0 {
		var still []string
		for _, target := range pending {
			ok, state := p.scrapedSince(ctx, target, since)
			if !ok {
				still = append(still, target)
				last[target] = state
			}
		}
		pending = still
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			var b strings.Builder
			for _, target := range pending {
				fmt.Fprintf(&b, "\n  %s: %s", target, last[target])
			}
			b.WriteString(p.targetErrors(pending))
			return fmt.Errorf("prometheus at %s scraped no target successfully since %s: %w%s",
				p.URL(), since.Format(time.RFC3339Nano), ctx.Err(), b.String())
		case <-tick.C:
		}
	}
	return nil
}

func (p *Prometheus) scrapedSince(ctx context.Context, target string, since time.Time) (bool, string) {
	q := fmt.Sprintf(`up{job=%q, instance=%q}[1m]`, Job, target)
	v, err := p.Query(ctx, q, time.Time{})
	if err != nil {
		return false, err.Error()
	}
	m, ok := v.(model.Matrix)
	if !ok || len(m) == 0 || len(m[0].Values) == 0 {
		return false, "not scraped yet"
	}
	s := m[0].Values[len(m[0].Values)-1]
	if !s.Timestamp.Time().After(since) {
		return false, fmt.Sprintf("last scraped at %s", s.Timestamp.Time().Format(time.RFC3339Nano))
	}
	if s.Value != 1 {
		return false, fmt.Sprintf("up=%v at %s", s.Value, s.Timestamp.Time().Format(time.RFC3339Nano))
	}
	return true, ""
}

// targetErrors says why Prometheus could not scrape targets, from its
// targets API, for the error of a wait that timed out.
func (p *Prometheus) targetErrors(targets []string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.api.Targets(ctx)
	if err != nil {
		return "\n  (targets API: " + err.Error() + ")"
	}
	var b strings.Builder
	for _, t := range res.Active {
		inst := string(t.Labels[model.InstanceLabel])
		for _, want := range targets {
			if inst == want {
				fmt.Fprintf(&b, "\n  targets API: %s health=%s lastScrape=%s lastError=%q",
					inst, t.Health, t.LastScrape.Format(time.RFC3339Nano), t.LastError)
			}
		}
	}
	return b.String()
}
