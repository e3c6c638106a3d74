package hookapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"knapp.dev/knapp/api/v1alpha1"
)

// countingBody is a request body of size bytes that counts the bytes read
// from it.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func newCountingBody(size int) *countingBody {
	return &countingBody{r: bytes.NewReader(bytes.Repeat([]byte("x"), size))}
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error { return nil }

// flood is a request of the kind an attacker sends: POST with a body of
// unknown length (so that no Content-Length check spares reading it).
func flood(app string, h http.Header, body io.ReadCloser) *http.Request {
	r := httptest.NewRequest(http.MethodPost, hookPath(app), body)
	r.ContentLength = -1
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

// A 1 MiB body from a caller that cannot be the App's is never read: no
// credentials, credentials for an App that does not exist or has no
// token, a wrong GitLab or bearer token.
func TestUnauthenticatedBodiesAreNotRead(t *testing.T) {
	h := NewHandler(world(), Options{})
	noCreds := http.Header{"Content-Type": {"application/json"}}
	githubUnsigned := githubHeaders("push", nil, testToken)
	githubUnsigned.Del(HeaderGitHubSignature)
	tests := []struct {
		name    string
		app     string
		header  http.Header
		wantErr string
	}{
		{"no credentials", "shop", noCreds, msgNoCredentials},
		{"github without signature", "shop", githubUnsigned, msgNoCredentials},
		{"gitlab without token", "gl-shop", gitlabHeaders("Push Hook", ""), msgNoCredentials},
		{"no credentials, no such App", "nope", noCreds, msgNoCredentials},
		{"gitlab, no such App", "nope", gitlabHeaders("Push Hook", testToken), msgBadCredentials},
		{"plain, no such App", "nope", bearer(testToken), msgBadCredentials},
		{"plain, App without hook", "no-hook", bearer(testToken), msgBadCredentials},
		{"gitlab, App without Secret", "no-secret", gitlabHeaders("Push Hook", testToken), msgBadCredentials},
		{"gitlab, wrong token", "gl-shop", gitlabHeaders("Push Hook", "nope"), msgBadCredentials},
		{"plain, wrong token", "shop", bearer("nope"), msgBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := newCountingBody(1 << 20)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, flood(tt.app, tt.header, body))
			var answer errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil || w.Code != http.StatusUnauthorized || answer.Error != tt.wantErr {
				t.Errorf("%d %s, want 401 %q", w.Code, w.Body, tt.wantErr)
			}
			if n := body.read.Load(); n != 0 {
				t.Errorf("%d bytes of the body read, want 0", n)
			}
			if got := w.Header().Get("Connection"); got != "close" {
				t.Errorf("Connection = %q, want close: net/http would read the unread body to keep the connection", got)
			}
		})
	}
}

// heldBuilds blocks GetApp of the App "held" until release is closed,
// holding the request's concurrency slot.
type heldBuilds struct {
	*fakeBuilds
	entered chan struct{}
	release chan struct{}
}

func (b heldBuilds) GetApp(ctx context.Context, ns, name string) (*v1alpha1.App, error) {
	if name == "held" {
		b.entered <- struct{}{}
		<-b.release
	}
	return b.fakeBuilds.GetApp(ctx, ns, name)
}

// With MaxConcurrent requests in flight the next is answered 503 with
// Retry-After at once, its body unread; once they finish it is served.
func TestConcurrencyCap(t *testing.T) {
	const max = 2
	b := heldBuilds{fakeBuilds: world(), entered: make(chan struct{}), release: make(chan struct{})}
	h := NewHandler(b, Options{MaxConcurrent: max})
	var wg sync.WaitGroup
	for range max {
		wg.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), flood("held", bearer(testToken), http.NoBody))
		})
	}
	for range max {
		<-b.entered
	}

	body := newCountingBody(1 << 20)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, flood("shop", bearer(testToken), body))
	want := fmt.Sprintf("at its limit of %d concurrent requests", max)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), want) {
		t.Errorf("%d Retry-After %q %s: want 503, Retry-After 1, %q", w.Code, w.Header().Get("Retry-After"), w.Body, want)
	}
	if n := body.read.Load(); n != 0 {
		t.Errorf("%d bytes of the body read, want 0", n)
	}

	close(b.release)
	wg.Wait()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, flood("shop", bearer(testToken), io.NopCloser(strings.NewReader(`{"revision":"main"}`))))
	if w.Code != http.StatusAccepted {
		t.Errorf("after the held requests: %d %s, want 202", w.Code, w.Body)
	}
}

// For each provider, a request naming an App that does not exist, has no
// hooks, or has no usable token gets the very answer of a wrong token:
// status, headers but Date, and body, byte for byte.
func TestUnknownAppLooksLikeWrongToken(t *testing.T) {
	srv := serve(t, world(), Options{})
	push, glPush := fixture(t, "github-push.json"), fixture(t, "gitlab-push.json")
	providers := []struct {
		name   string
		header http.Header
		body   []byte
		right  string // an App whose token testToken is, but for the wrong token sent
	}{
		{"github", githubHeaders("push", push, "wrong"), push, "shop"},
		{"gitlab", gitlabHeaders("Push Hook", "wrong"), glPush, "gl-shop"},
		{"plain", bearer("wrong"), []byte(`{"revision":"main"}`), "shop"},
	}
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			want := rawCall(t, srv, hookPath(p.right), p.header, p.body)
			if !strings.Contains(want, "401 Unauthorized") {
				t.Fatalf("wrong token: %s", want)
			}
			for _, app := range []string{"nope", "no-hook", "no-build", "no-secret", "no-key", "empty-token"} {
				// The world's token, for an App where it is none.
				header := map[string]http.Header{
					"github": githubHeaders("push", push, testToken),
					"gitlab": gitlabHeaders("Push Hook", testToken),
					"plain":  bearer(testToken),
				}[p.name]
				if got := rawCall(t, srv, hookPath(app), header, p.body); got != want {
					t.Errorf("%s:\n%s\nwrong token:\n%s", app, got, want)
				}
			}
		})
	}
}

// rawCall returns the answer's status line, headers but Date and body.
func rawCall(t *testing.T, srv *httptest.Server, path string, h http.Header, body []byte) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Header.Del("Date")
	var b strings.Builder
	fmt.Fprintf(&b, "%s close=%v\n", resp.Status, resp.Close)
	_ = resp.Header.Write(&b)
	b.Write(raw)
	return b.String()
}

// An App's builds beyond its burst are answered 429 with Retry-After, and
// start nothing; another App is not affected, and refused calls take
// nothing from the App's budget.
func TestBuildRateLimit(t *testing.T) {
	f := world()
	srv := serve(t, f, Options{BuildsPerMinute: 1, BuildBurst: 2})
	plain := func(app, token, rev string) reply {
		return call(t, srv, http.MethodPost, hookPath(app), bearer(token), []byte(`{"revision":"`+rev+`"}`))
	}
	for range 3 {
		if r := plain("shop", "wrong", "v0"); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong token: %d %v", r.status, r.body)
		}
	}
	for _, rev := range []string{"v1", "v2"} {
		if r := plain("shop", testToken, rev); r.status != http.StatusAccepted {
			t.Fatalf("build %s within the burst: %d %v", rev, r.status, r.body)
		}
	}
	r := plain("shop", testToken, "v3")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	msg, _ := r.body["error"].(string)
	if r.status != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 60 {
		t.Fatalf("build past the burst: %d Retry-After %q %v: want 429 and 1 to 60 seconds", r.status, r.header.Get("Retry-After"), r.body)
	}
	if want := fmt.Sprintf("app team-a/shop has started builds faster than the hook API allows (1 a minute, 2 at once); try again in %ds", secs); msg != want {
		t.Errorf("error = %q, want %q", msg, want)
	}
	if got := f.startedCommits(); len(got) != 2 {
		t.Errorf("builds %q, want v1 and v2 only", got)
	}
	if r := plain("pinned", testToken, "v1"); r.status != http.StatusAccepted {
		t.Errorf("another App: %d %v, want 202", r.status, r.body)
	}
}

// Each provider's body limit: a body of exactly the limit is served, one
// byte more is answered 413 naming the limit and the provider, whether
// the Content-Length says so or only the body does.
func TestBodyLimitPerProvider(t *testing.T) {
	opts := Options{MaxGitHubBodyBytes: 4096, MaxGitLabBodyBytes: 3072, MaxPlainBodyBytes: 64}
	pad := func(b []byte, n int64) []byte {
		return append(bytes.Clone(b), bytes.Repeat([]byte(" "), int(n)-len(b))...)
	}
	tests := []struct {
		name    string
		limit   int64
		headers func(body []byte) http.Header
		body    []byte
		caller  string
	}{
		{"github", opts.MaxGitHubBodyBytes, func(b []byte) http.Header { return githubHeaders("push", b, testToken) }, fixture(t, "github-push.json"), "GitHub deliveries"},
		{"gitlab", opts.MaxGitLabBodyBytes, func([]byte) http.Header { return gitlabHeaders("Push Hook", testToken) }, fixture(t, "gitlab-push.json"), "GitLab deliveries"},
		{"plain", opts.MaxPlainBodyBytes, func([]byte) http.Header { return bearer(testToken) }, []byte(`{"revision":"main"}`), "plain calls"},
	}
	app := map[string]string{"github": "shop", "gitlab": "gl-shop", "plain": "shop"}
	for _, tt := range tests {
		for _, known := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, Content-Length known %v", tt.name, known), func(t *testing.T) {
				h := NewHandler(world(), opts)
				send := func(body []byte) *httptest.ResponseRecorder {
					r := httptest.NewRequest(http.MethodPost, hookPath(app[tt.name]), bytes.NewReader(body))
					if !known {
						r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), -1
					}
					for k, v := range tt.headers(body) {
						r.Header[k] = v
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					return w
				}
				if w := send(pad(tt.body, tt.limit)); w.Code != http.StatusAccepted {
					t.Errorf("body of the limit: %d %s, want 202", w.Code, w.Body)
				}
				w := send(pad(tt.body, tt.limit+1))
				want := fmt.Sprintf("larger than %d bytes, the hook API's limit for %s", tt.limit, tt.caller)
				if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), want) {
					t.Errorf("body of the limit + 1: %d %s, want 413 %q", w.Code, w.Body, want)
				}
			})
		}
	}
}
