package promtest_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"knapp.dev/knapp/test/promtest"
)

// TestServeAndLoad: the fake queue-proxy alone, no Prometheus. Serve sends
// its requests concurrently (100 of 600ms in about a second, not a
// minute), Load keeps about its rate, and Knative's handler records each
// with its status.
func TestServeAndLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := newQueueProxy(t, promtest.Revision{Namespace: "team-a", Service: "app", Name: "app-00001"})

	start := time.Now()
	if err := q.Serve(ctx, 100, 200, 600*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("100 requests of 600ms took %s", took.Round(time.Millisecond))
	// Generous for a shared machine; serially it would be 60s.
	if took < 600*time.Millisecond || took > 10*time.Second {
		t.Errorf("100 requests of 600ms took %s, want about a second", took)
	}

	load := q.Load(50, 502, 0)
	time.Sleep(2 * time.Second)
	sent, err := load.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a load of 50 rps sent %d requests in 2s", sent)
	if sent < 50 || sent > 110 {
		t.Errorf("a load of 50 rps sent %d requests in 2s, want about 100", sent)
	}

	text := metrics(t, q)
	for status, want := range map[string]int{"200": 100, "502": sent} {
		re := regexp.MustCompile(`(?m)^kn_serving_invocation_duration_seconds_count\{http_response_status_code="` + status + `",[^}]*\} (\d+)$`)
		m := re.FindStringSubmatch(text)
		if m == nil || m[1] != strconv.Itoa(want) {
			t.Errorf("count of status %s: %v, want %d in:\n%s", status, m, want, text)
		}
	}
	// The 600ms requests land in the (0.5, 0.75] bucket.
	if !regexp.MustCompile(`(?m)^kn_serving_invocation_duration_seconds_bucket\{http_response_status_code="200",[^}]*le="0.5"\} 0$`).MatchString(text) {
		t.Errorf("requests of 600ms in the bucket le=0.5:\n%s", text)
	}
}

func metrics(t *testing.T, q *promtest.QueueProxy) string {
	t.Helper()
	resp, err := http.Get(q.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
