package hookapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"knapp.dev/knapp/pkg/metrics"
)

// Every answer counts once in knapp_hook_requests_total, by the provider
// the headers name and the status code answered.
func TestHandlerCountsRequests(t *testing.T) {
	srv := serve(t, world(), Options{MaxPlainBodyBytes: 64 << 10})
	push := fixture(t, "github-push.json")
	plain := http.Header{}
	plain.Set("Content-Type", "application/json")
	tests := []struct {
		name     string
		path     string
		header   http.Header
		body     []byte
		provider string
		code     int
	}{
		{"github push", hookPath("shop"), githubHeaders("push", push, testToken), push, metrics.ProviderGitHub, http.StatusAccepted},
		{"github ping", hookPath("shop"), githubHeaders("ping", []byte(`{}`), testToken), []byte(`{}`), metrics.ProviderGitHub, http.StatusOK},
		{"gitlab, wrong token", hookPath("gl-shop"), gitlabHeaders("Push Hook", "nope"), fixture(t, "gitlab-push.json"), metrics.ProviderGitLab, http.StatusUnauthorized},
		{"plain, no such App", hookPath("nothing"), bearer(testToken), []byte(`{}`), metrics.ProviderPlain, http.StatusUnauthorized},
		{"no credentials at all", hookPath("shop"), plain, []byte(`{}`), metrics.ProviderUnknown, http.StatusUnauthorized},
		{"another path", "/metrics", plain, nil, metrics.ProviderUnknown, http.StatusNotFound},
		{"too large", hookPath("shop"), bearer(testToken), bytes.Repeat([]byte("x"), 128<<10), metrics.ProviderPlain, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			counter := metrics.HookRequests.WithLabelValues(tc.provider, strconv.Itoa(tc.code))
			before := testutil.ToFloat64(counter)
			if r := call(t, srv, http.MethodPost, tc.path, tc.header, tc.body); r.status != tc.code {
				t.Fatalf("status %d, want %d: %v", r.status, tc.code, r.body)
			}
			if d := testutil.ToFloat64(counter) - before; d != 1 {
				t.Errorf("knapp_hook_requests_total{provider=%q,code=\"%d\"} +%v, want +1", tc.provider, tc.code, d)
			}
		})
	}
}

// The counting wrapper keeps what the server's own writer does: a body
// over the limit closes the connection, as http.MaxBytesReader asks.
func TestTooLargeBodyClosesTheConnection(t *testing.T) {
	srv := httptest.NewServer(NewHandler(world(), Options{MaxPlainBodyBytes: 16}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodPost, srv.URL+hookPath("shop"), bytes.NewReader(bytes.Repeat([]byte("x"), 1<<10)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = bearer(testToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
		t.Errorf("status %d, close %v: want 413 and the connection closed", resp.StatusCode, resp.Close)
	}
}
