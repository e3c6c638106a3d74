package promtest_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/promtest"
)

// interval is the analysis interval the queries are rendered with.
const interval = 30 * time.Second

// traffic is one burst a revision serves.
type traffic struct {
	n       int
	status  int
	latency time.Duration
}

// TestDefaultQueries: knapp's default requests, errors and latency queries,
// rendered as the analysis renders them, read from a real Prometheus what
// Knative's own handler recorded for each revision, and nothing of another.
func TestDefaultQueries(t *testing.T) {
	promtest.SkipIfDisabled(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	stable := newQueueProxy(t, promtest.Revision{Namespace: "team-a", Service: "app", Name: "app-00001"})
	canary := newQueueProxy(t, promtest.Revision{Namespace: "team-a", Service: "app", Name: "app-00002"})
	// The stable's revision name in another namespace: the namespace must
	// keep them apart.
	other := newQueueProxy(t, promtest.Revision{Namespace: "team-b", Service: "app", Name: "app-00001"})
	// A revision without a first scrape of its series, for the caveat below.
	fresh := newQueueProxy(t, promtest.Revision{Namespace: "team-a", Service: "app", Name: "app-00003"})

	// One request of each status a revision will answer, before Prometheus
	// first scrapes: the series exist from its first sample on, so
	// increase() counts every request of the bursts below (it never counts
	// a series' first value, see the last subtest).
	for _, w := range []struct {
		q      *promtest.QueueProxy
		status int
	}{{stable, 200}, {canary, 200}, {canary, 503}, {other, 200}} {
		if err := w.q.Serve(ctx, 1, w.status, 0); err != nil {
			t.Fatal(err)
		}
	}
	prom := startPrometheus(ctx, t, stable, canary, other, fresh)
	firstScrape := time.Now()
	logMetrics(t, canary)

	sent := map[*promtest.QueueProxy][]traffic{
		stable: {{200, 200, 0}},
		canary: {{100, 200, 0}, {50, 503, 0}, {50, 200, 600 * time.Millisecond}},
		other:  {{50, 200, 0}},
		fresh:  {{40, 503, 0}},
	}
	// Read at a fixed time, as the analysis does at an interval's end. The
	// interval begins 1.5s after the first scrape, so each series has
	// samples from before it and increase() extrapolates to both of its
	// ends: its value is the true increase times 30s over the sampled span
	// (about 29s for 1s scrapes), between what was sent and 3-7% more. The
	// bursts begin 4s after the first scrape, 2.5s into the interval, so a
	// sample before them is in it.
	at := firstScrape.Add(interval + 1500*time.Millisecond)
	time.Sleep(time.Until(firstScrape.Add(4 * time.Second)))
	start := time.Now()
	serveAll(ctx, t, sent)
	end := time.Now()
	t.Logf("the bursts took %s", end.Sub(start).Round(time.Millisecond))
	if end.Add(2 * time.Second).After(at) {
		t.Fatalf("the bursts took %s: they must end 2s before %s, where the queries read", end.Sub(start), at.Format(time.TimeOnly))
	}
	time.Sleep(time.Until(at))
	if err := prom.WaitScrape(ctx, stable.Target(), canary.Target(), other.Target(), fresh.Target()); err != nil {
		t.Fatal(err)
	}

	t.Run("requests", func(t *testing.T) {
		for _, c := range []struct {
			q    *promtest.QueueProxy
			want float64
		}{{stable, 200}, {canary, 200}, {other, 50}} {
			eventually(t, func() error {
				v, err := value(ctx, prom, platform.DefaultRequestsQuery, c.q.Revision(), at)
				if err != nil {
					return err
				}
				return within(t, c.q, "requests", v, c.want, c.want*1.12)
			})
		}
	})
	t.Run("errors", func(t *testing.T) {
		eventually(t, func() error {
			v, err := value(ctx, prom, platform.DefaultErrorsQuery, canary.Revision(), at)
			if err != nil {
				return err
			}
			if err := within(t, canary, "errors", v, 50, 50*1.12); err != nil {
				return err
			}
			req, err := value(ctx, prom, platform.DefaultRequestsQuery, canary.Revision(), at)
			if err != nil {
				return err
			}
			// Both series have the same scrapes, so the extrapolation
			// nearly cancels in the share.
			return within(t, canary, "error share", v/req, 0.23, 0.27)
		})
		for _, q := range []*promtest.QueueProxy{stable, other} {
			v, err := value(ctx, prom, platform.DefaultErrorsQuery, q.Revision(), at)
			if err != nil {
				t.Fatal(err)
			}
			// No 5xx series at all: no data, which the analysis reads as 0.
			if !math.IsNaN(v) {
				t.Errorf("%s: errors %v, want no data", q, v)
			}
		}
	})
	t.Run("latency", func(t *testing.T) {
		eventually(t, func() error {
			v, err := value(ctx, prom, platform.DefaultLatencyQuery, canary.Revision(), at)
			if err != nil {
				return err
			}
			// 50 of 200 took 600ms, in the bucket (0.5, 0.75]: the p99
			// interpolates to 0.5 + 0.25 × (198-150)/50 = 0.74.
			return within(t, canary, "p99 seconds", v, 0.6, 0.75)
		})
		for _, q := range []*promtest.QueueProxy{stable, other} {
			eventually(t, func() error {
				v, err := value(ctx, prom, platform.DefaultLatencyQuery, q.Revision(), at)
				if err != nil {
					return err
				}
				// Answered at once; a slow shared machine may take tens
				// of milliseconds, never the canary's 600.
				return within(t, q, "p99 seconds", v, 0, 0.25)
			})
		}
	})
	t.Run("no such revision", func(t *testing.T) {
		v, err := value(ctx, prom, platform.DefaultRequestsQuery, promtest.Revision{Namespace: "team-b", Name: "app-00002"}, at)
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(v) {
			t.Errorf("requests of team-b/app-00002, which never ran: %v, want no data", v)
		}
	})
	// A caveat for tests and for analyses: Prometheus 2.x takes a series'
	// first sample as its start, so requests of a status a revision had
	// not answered before its previous scrape are missing from increase().
	// Warm a revision up (as above) before the traffic a test counts.
	t.Run("a new series' first value is not counted", func(t *testing.T) {
		v, err := value(ctx, prom, platform.DefaultErrorsQuery, fresh.Revision(), at)
		if err != nil {
			t.Fatal(err)
		}
		total, err := prom.Value(ctx, fmt.Sprintf(`sum(kn_serving_invocation_duration_seconds_count%s)`, revisionOf(fresh.Revision())), at)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s served 40 × 503 as its first requests: the counter reads %v, increase() %v", fresh, total, v)
		if total != 40 {
			t.Errorf("%s: counter %v, want 40", fresh, total)
		}
		if !(v < 40) {
			t.Errorf("%s: increase() %v: Prometheus now counts a series' first value; the warm-up can go", fresh, v)
		}
	})
}

// TestStopAndStartAgain: a Prometheus stopped during a rollout and started
// again answers on the same URL, with the data from before and the
// requests served while it was down.
func TestStopAndStartAgain(t *testing.T) {
	promtest.SkipIfDisabled(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	q := newQueueProxy(t, promtest.Revision{Namespace: "team-a", Service: "app", Name: "app-00001"})
	if err := q.Serve(ctx, 1, 200, 0); err != nil { // warm-up, as above
		t.Fatal(err)
	}
	prom := startPrometheus(ctx, t, q)
	url := prom.URL()
	load := q.Load(20, 200, 10*time.Millisecond)
	defer load.Stop()
	count := fmt.Sprintf(`sum(kn_serving_invocation_duration_seconds_count%s)`, revisionOf(q.Revision()))

	// A new revision while Prometheus runs, then deleted: StartAgain must
	// not wait for it, and its data stays.
	added := newQueueProxy(t, promtest.Revision{Namespace: "team-a", Service: "app", Name: "app-00002"})
	if err := added.Serve(ctx, 1, 200, 0); err != nil {
		t.Fatal(err)
	}
	adding := time.Now()
	if err := prom.AddTargets(ctx, added.Target()); err != nil {
		t.Fatal(err)
	}
	t.Logf("AddTargets took %s", time.Since(adding).Round(time.Millisecond))
	if err := added.Serve(ctx, 10, 200, 0); err != nil {
		t.Fatal(err)
	}
	addedCount := fmt.Sprintf(`sum(kn_serving_invocation_duration_seconds_count%s)`, revisionOf(added.Revision()))

	if err := prom.WaitScrape(ctx, q.Target(), added.Target()); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	was, err := prom.Value(ctx, count, before)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := prom.Value(ctx, addedCount, before); err != nil || v != 11 {
		t.Fatalf("count of %s: %v, %v; want 11", added, v, err)
	}
	if err := prom.RemoveTargets(added.Target()); err != nil {
		t.Fatal(err)
	}
	if err := added.Close(); err != nil {
		t.Fatal(err)
	}
	if err := prom.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/-/ready"); err == nil {
		t.Fatalf("%s still answers after Stop", url)
	}
	time.Sleep(3 * time.Second) // the load goes on
	if err := prom.StartAgain(ctx); err != nil {
		t.Fatal(err)
	}
	if prom.URL() != url {
		t.Fatalf("URL %s after StartAgain, was %s", prom.URL(), url)
	}

	sent, err := load.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := prom.WaitScrape(ctx, q.Target()); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	eventually(t, func() error {
		again, err := prom.Value(ctx, count, before)
		if err != nil {
			return err
		}
		if again != was {
			return fmt.Errorf("count at %s: %v after the restart, %v before: the data did not survive", before.Format(time.TimeOnly), again, was)
		}
		if v, err := prom.Value(ctx, addedCount, before); err != nil || v != 11 {
			return fmt.Errorf("count of the deleted %s at %s: %v, %v; want 11", added, before.Format(time.TimeOnly), v, err)
		}
		total, err := prom.Value(ctx, count, end)
		if err != nil {
			return err
		}
		if total != float64(1+sent) {
			return fmt.Errorf("count %v, want %d (the warm-up and the load's %d)", total, 1+sent, sent)
		}
		// The window spans the gap: samples before it and after it, no
		// staleness markers between (a SIGTERM'd Prometheus writes none),
		// so the requests served while it was down count.
		v, err := value(ctx, prom, platform.DefaultRequestsQuery, q.Revision(), end)
		if err != nil {
			return err
		}
		if math.IsNaN(v) || v < total-was {
			return fmt.Errorf("requests over %s: %v, want at least the %v since before the stop", interval, v, total-was)
		}
		t.Logf("before the stop: %v requests; %d sent by the load; at the end: %v; the requests query: %v", was, sent, total, v)
		return nil
	})
}

func newQueueProxy(t *testing.T, rev promtest.Revision) *promtest.QueueProxy {
	t.Helper()
	q, err := promtest.NewQueueProxy(rev)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := q.Close(); err != nil {
			t.Error(err)
		}
	})
	return q
}

func startPrometheus(ctx context.Context, t *testing.T, qs ...*promtest.QueueProxy) *promtest.Prometheus {
	t.Helper()
	var targets []string
	for _, q := range qs {
		targets = append(targets, q.Target())
	}
	started := time.Now()
	prom, err := promtest.Start(ctx, promtest.Config{Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("prometheus at %s, ready and scraped in %s", prom.URL(), time.Since(started).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prometheus' directory: %s (removed)", prom.Dir())
		}
		if err := prom.Close(); err != nil {
			t.Error(err)
		}
	})
	return prom
}

// serveAll sends each revision its bursts, the revisions at once.
func serveAll(ctx context.Context, t *testing.T, sent map[*promtest.QueueProxy][]traffic) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(sent))
	for q, bursts := range sent {
		wg.Go(func() {
			for _, b := range bursts {
				if err := q.Serve(ctx, b.n, b.status, b.latency); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// logMetrics shows what the fake queue-proxy publishes, for the reader of
// a failure, and checks the names the default queries read.
func logMetrics(t *testing.T, q *promtest.QueueProxy) {
	t.Helper()
	text := metrics(t, q)
	for _, want := range []string{
		`kn_serving_invocation_duration_seconds_bucket{http_response_status_code="503"`,
		`kn_serving_invocation_duration_seconds_count{http_response_status_code="200"`,
		`kn_serving_invocation_duration_seconds_sum{`,
		`target_info{`,
		`k8s_namespace_name="team-a"`,
		`kn_revision_name="app-00002"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("%s has no %s:\n%s", q.MetricsURL(), want, text)
		}
	}
	t.Logf("%s:\n%s", q.MetricsURL(), text)
}

// value renders a query template as knapp's analysis does and reads it.
func value(ctx context.Context, prom *promtest.Prometheus, template string, rev promtest.Revision, at time.Time) (float64, error) {
	vars := v1alpha1.NewQueryVars(rev.Namespace, rev.Service, rev.Name, interval)
	vars.Quantile = "0.99"
	query, err := v1alpha1.RenderQuery(template, vars)
	if err != nil {
		return 0, err
	}
	return prom.Value(ctx, query, at)
}

// revisionOf is the default queries' join, for the raw counter.
func revisionOf(rev promtest.Revision) string {
	return fmt.Sprintf(` * on (job, instance) group_left () target_info{k8s_namespace_name=%q, kn_revision_name=%q}`, rev.Namespace, rev.Name)
}

// within checks a reading and, when it is right, logs it: the numbers
// show how far increase() extrapolates.
func within(t *testing.T, q *promtest.QueueProxy, what string, v, lo, hi float64) error {
	if math.IsNaN(v) || v < lo || v > hi {
		return fmt.Errorf("%s/%s: %s %v, want %v..%v", q.Revision().Namespace, q.Revision().Name, what, v, lo, hi)
	}
	t.Logf("%s/%s: %s %.4g (want %.4g..%.4g)", q.Revision().Namespace, q.Revision().Name, what, v, lo, hi)
	return nil
}

// eventually retries check for up to a minute: Prometheus' answers come
// after its scrapes, and the machine is shared and slow.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
