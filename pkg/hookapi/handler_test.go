package hookapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"knapp.dev/knapp/api/v1alpha1"
)

const (
	testToken     = "s3cr3t-token"
	githubCommit  = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	gitlabCommit  = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	plainCommit   = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
	githubRepoURL = "https://github.com/knapp-demo/shop"
)

// world is the cluster the handler tests see.
func world() *fakeBuilds {
	f := newFakeBuilds()
	// A Secret made with kubectl create secret --from-file ends in a newline.
	f.addSecret("team-a", "shop-hook", map[string][]byte{TokenKey: []byte(testToken + "\n")})
	f.addSecret("team-a", "no-key", map[string][]byte{"password": []byte(testToken)})
	f.addSecret("team-a", "empty", map[string][]byte{TokenKey: []byte("\n")})

	f.addApp(hookApp("shop", githubRepoURL, "shop-hook"))
	f.addApp(hookApp("shop-ssh", "git@github.com:Knapp-Demo/shop.git", "shop-hook"))
	f.addApp(hookApp("gl-shop", "ssh://git@gitlab.example.com:2222/team-a/shop.git", "shop-hook"))
	f.addApp(hookApp("other", "https://github.com/knapp-demo/other.git", "shop-hook"))

	release := hookApp("release", githubRepoURL, "shop-hook")
	release.Spec.Build.Hook.Branch = "release"
	f.addApp(release)

	pinned := hookApp("pinned", githubRepoURL, "shop-hook")
	pinned.Spec.Build.Git.Revision = "release-1.4"
	f.addApp(pinned)

	noHook := hookApp("no-hook", githubRepoURL, "")
	noHook.Spec.Build.Hook = nil
	f.addApp(noHook)
	noBuild := hookApp("no-build", githubRepoURL, "")
	noBuild.Spec = v1alpha1.AppSpec{Image: "registry.example.com/team-a/no-build:1"}
	f.addApp(noBuild)

	f.addApp(hookApp("no-secret", githubRepoURL, "missing"))
	f.addApp(hookApp("no-key", githubRepoURL, "no-key"))
	f.addApp(hookApp("empty-token", githubRepoURL, "empty"))
	return f
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit returns the fixture with mutate applied to its JSON.
func edit(t *testing.T, name string, mutate func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	mutate(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func githubHeaders(event string, body []byte, secret string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderGitHubEvent, event)
	h.Set(HeaderGitHubDelivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	h.Set(HeaderGitHubSignature, "sha256="+hex.EncodeToString(GitHubSignature([]byte(secret), body)))
	return h
}

func gitlabHeaders(event, token string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderGitLabEvent, event)
	h.Set(HeaderGitLabEventUUID, "13792a34-cac6-4fda-95a8-c58e00a3954e")
	if token != "" {
		h.Set(HeaderGitLabToken, token)
	}
	return h
}

func bearer(token string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Bearer "+token)
	return h
}

func hookPath(app string) string { return "/hooks/v1/namespaces/team-a/apps/" + app + "/builds" }

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, srv *httptest.Server, method, path string, h http.Header, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json; body %s", ct, raw)
	}
	r := reply{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, raw)
	}
	return r
}

func serve(t *testing.T, f *fakeBuilds, opts Options) *httptest.Server {
	srv := httptest.NewServer(NewHandler(f, opts))
	t.Cleanup(srv.Close)
	return srv
}

func TestHandler(t *testing.T) {
	push := fixture(t, "github-push.json")
	tests := []struct {
		name        string
		method      string // POST when empty
		path        string
		header      http.Header
		body        []byte
		opts        Options
		wantStatus  int
		want        map[string]any // keys the answer must have, with these values
		wantError   string         // part of the answer's error
		wantStarted []string
	}{
		{
			name:        "github push",
			path:        hookPath("shop"),
			header:      githubHeaders("push", push, testToken),
			body:        push,
			wantStatus:  http.StatusAccepted,
			want:        map[string]any{"status": "started", "workflow": "shop-build-0d1a26e67d", "commit": githubCommit},
			wantStarted: []string{githubCommit},
		},
		{
			name: "github push as form",
			path: hookPath("shop"),
			header: func() http.Header {
				form := []byte(url.Values{"payload": {string(push)}}.Encode())
				h := githubHeaders("push", form, testToken)
				h.Set("Content-Type", "application/x-www-form-urlencoded")
				return h
			}(),
			body:        []byte(url.Values{"payload": {string(push)}}.Encode()),
			wantStatus:  http.StatusAccepted,
			wantStarted: []string{githubCommit},
		},
		{
			name:       "github ping",
			path:       hookPath("shop"),
			header:     githubHeaders("ping", fixture(t, "github-ping.json"), testToken),
			body:       fixture(t, "github-ping.json"),
			wantStatus: http.StatusOK,
			want:       map[string]any{"status": "pong"},
		},
		{
			name:       "github ping with a wrong signature",
			path:       hookPath("shop"),
			header:     githubHeaders("ping", fixture(t, "github-ping.json"), "wrong"),
			body:       fixture(t, "github-ping.json"),
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:        "gitlab push",
			path:        hookPath("gl-shop"),
			header:      gitlabHeaders("Push Hook", testToken),
			body:        fixture(t, "gitlab-push.json"),
			wantStatus:  http.StatusAccepted,
			want:        map[string]any{"status": "started", "workflow": "gl-shop-build-da1560886d", "commit": gitlabCommit},
			wantStarted: []string{gitlabCommit},
		},
		{
			name:   "gitlab push without checkout_sha",
			path:   hookPath("gl-shop"),
			header: gitlabHeaders("Push Hook", testToken),
			body: edit(t, "gitlab-push.json", func(m map[string]any) {
				m["checkout_sha"] = nil
			}),
			wantStatus:  http.StatusAccepted,
			wantStarted: []string{gitlabCommit},
		},
		{
			name:        "plain call with revision",
			path:        hookPath("shop"),
			header:      bearer(testToken),
			body:        []byte(`{"revision": "` + plainCommit + `"}`),
			wantStatus:  http.StatusAccepted,
			want:        map[string]any{"status": "started", "workflow": "shop-build-4b825dc642", "commit": plainCommit},
			wantStarted: []string{plainCommit},
		},
		{
			name:        "plain call without revision",
			path:        hookPath("shop"),
			header:      bearer(testToken),
			body:        []byte(`{}`),
			wantStatus:  http.StatusAccepted,
			want:        map[string]any{"status": "started", "commit": "main"},
			wantStarted: []string{"main"},
		},
		{
			name:        "plain call without body builds spec.build.git.revision",
			path:        hookPath("pinned"),
			header:      bearer(testToken),
			wantStatus:  http.StatusAccepted,
			want:        map[string]any{"status": "started", "commit": "release-1.4"},
			wantStarted: []string{"release-1.4"},
		},
		{
			name:       "plain call with a misspelt field",
			path:       hookPath("shop"),
			header:     bearer(testToken),
			body:       []byte(`{"rev": "main"}`),
			wantStatus: http.StatusBadRequest,
			wantError:  `unknown field "rev"`,
		},
		{
			name:       "plain call with a revision that is no ref",
			path:       hookPath("shop"),
			header:     bearer(testToken),
			body:       []byte(`{"revision": "main; rm -rf /"}`),
			wantStatus: http.StatusBadRequest,
			wantError:  "not a git branch, tag or commit",
		},
		{
			name:       "wrong github signature",
			path:       hookPath("shop"),
			header:     githubHeaders("push", push, "not-the-token"),
			body:       push,
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name: "github signature of another body",
			path: hookPath("shop"),
			header: githubHeaders("push", edit(t, "github-push.json", func(m map[string]any) {
				m["after"] = plainCommit
			}), testToken),
			body:       push,
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name: "malformed github signature",
			path: hookPath("shop"),
			header: func() http.Header {
				h := githubHeaders("push", push, testToken)
				h.Set(HeaderGitHubSignature, "sha256=zz")
				return h
			}(),
			body:       push,
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:       "wrong gitlab token",
			path:       hookPath("gl-shop"),
			header:     gitlabHeaders("Push Hook", "not-the-token"),
			body:       fixture(t, "gitlab-push.json"),
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:       "wrong bearer token",
			path:       hookPath("shop"),
			header:     bearer("not-the-token"),
			body:       []byte(`{}`),
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name: "basic instead of bearer",
			path: hookPath("shop"),
			header: http.Header{"Authorization": {"Basic " +
				"dXNlcjpzM2NyM3QtdG9rZW4="}},
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:       "no credentials",
			path:       hookPath("shop"),
			header:     http.Header{"Content-Type": {"application/json"}},
			body:       []byte(`{"revision": "main"}`),
			wantStatus: http.StatusUnauthorized,
			wantError:  msgNoCredentials,
		},
		{
			name: "github push without signature",
			path: hookPath("shop"),
			header: func() http.Header {
				h := githubHeaders("push", push, testToken)
				h.Del(HeaderGitHubSignature)
				return h
			}(),
			body:       push,
			wantStatus: http.StatusUnauthorized,
			wantError:  msgNoCredentials,
		},
		{
			name:       "gitlab push without token",
			path:       hookPath("gl-shop"),
			header:     gitlabHeaders("Push Hook", ""),
			body:       fixture(t, "gitlab-push.json"),
			wantStatus: http.StatusUnauthorized,
			wantError:  msgNoCredentials,
		},
		{
			name:       "unknown app",
			path:       hookPath("nope"),
			header:     githubHeaders("push", push, testToken),
			body:       push,
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:       "invalid app name",
			path:       "/hooks/v1/namespaces/team-a/apps/No_Such/builds",
			header:     bearer(testToken),
			wantStatus: http.StatusNotFound,
			wantError:  `no app at "team-a/No_Such": a namespace is a DNS label and an App name a DNS subdomain`,
		},
		{
			name:       "app without hook",
			path:       hookPath("no-hook"),
			header:     githubHeaders("push", push, testToken),
			body:       push,
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:       "app without build",
			path:       hookPath("no-build"),
			header:     bearer(testToken),
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:       "missing secret",
			path:       hookPath("no-secret"),
			header:     githubHeaders("push", push, testToken),
			body:       push,
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:       "secret without token",
			path:       hookPath("no-key"),
			header:     bearer(testToken),
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name:       "empty token",
			path:       hookPath("empty-token"),
			header:     bearer(testToken),
			wantStatus: http.StatusUnauthorized,
			wantError:  msgBadCredentials,
		},
		{
			name: "push to another branch",
			path: hookPath("shop"),
			header: func() http.Header {
				return githubHeaders("push", edit(t, "github-push.json", func(m map[string]any) {
					m["ref"] = "refs/heads/feature/prices"
				}), testToken)
			}(),
			body: edit(t, "github-push.json", func(m map[string]any) {
				m["ref"] = "refs/heads/feature/prices"
			}),
			wantStatus: http.StatusOK,
			want: map[string]any{"status": "ignored",
				"reason": `push to branch "feature/prices": builds start only for pushes to "main" (the default)`},
		},
		{
			name:       "push to main when hook.branch is release",
			path:       hookPath("release"),
			header:     githubHeaders("push", push, testToken),
			body:       push,
			wantStatus: http.StatusOK,
			want: map[string]any{"status": "ignored",
				"reason": `push to branch "main": builds start only for pushes to "release" (spec.build.hook.branch)`},
		},
		{
			name: "push of a tag",
			path: hookPath("shop"),
			header: githubHeaders("push", edit(t, "github-push.json", func(m map[string]any) {
				m["ref"] = "refs/tags/v1.4.2"
			}), testToken),
			body: edit(t, "github-push.json", func(m map[string]any) {
				m["ref"] = "refs/tags/v1.4.2"
			}),
			wantStatus: http.StatusOK,
			want:       map[string]any{"status": "ignored"},
		},
		{
			name:       "github branch deleted",
			path:       hookPath("shop"),
			header:     githubHeaders("push", fixture(t, "github-delete.json"), testToken),
			body:       fixture(t, "github-delete.json"),
			wantStatus: http.StatusOK,
			want:       map[string]any{"status": "ignored", "reason": `branch "main" was deleted`},
		},
		{
			name:       "gitlab branch deleted",
			path:       hookPath("gl-shop"),
			header:     gitlabHeaders("Push Hook", testToken),
			body:       fixture(t, "gitlab-delete.json"),
			wantStatus: http.StatusOK,
			want:       map[string]any{"status": "ignored", "reason": `branch "main" was deleted`},
		},
		{
			name:       "push of another repository",
			path:       hookPath("other"),
			header:     githubHeaders("push", push, testToken),
			body:       push,
			wantStatus: http.StatusForbidden,
			wantError:  `not of the App's spec.build.git.url "https://github.com/knapp-demo/other.git"`,
		},
		{
			name:        "same repository as scp-like ssh URL with .git and other case",
			path:        hookPath("shop-ssh"),
			header:      githubHeaders("push", push, testToken),
			body:        push,
			wantStatus:  http.StatusAccepted,
			wantStarted: []string{githubCommit},
		},
		{
			name: "same repository when only ssh_url is sent",
			path: hookPath("shop"),
			header: githubHeaders("push", edit(t, "github-push.json", func(m map[string]any) {
				m["repository"] = map[string]any{"ssh_url": "ssh://git@github.com/knapp-demo/shop.git/"}
			}), testToken),
			body: edit(t, "github-push.json", func(m map[string]any) {
				m["repository"] = map[string]any{"ssh_url": "ssh://git@github.com/knapp-demo/shop.git/"}
			}),
			wantStatus:  http.StatusAccepted,
			wantStarted: []string{githubCommit},
		},
		{
			name:       "malformed JSON",
			path:       hookPath("shop"),
			header:     githubHeaders("push", []byte(`{"ref": "refs/heads/main",`), testToken),
			body:       []byte(`{"ref": "refs/heads/main",`),
			wantStatus: http.StatusBadRequest,
			wantError:  "malformed JSON",
		},
		{
			name:       "malformed plain JSON",
			path:       hookPath("shop"),
			header:     bearer(testToken),
			body:       []byte(`revision=main`),
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "push without commit",
			path: hookPath("shop"),
			header: githubHeaders("push", edit(t, "github-push.json", func(m map[string]any) {
				delete(m, "after")
			}), testToken),
			body: edit(t, "github-push.json", func(m map[string]any) {
				delete(m, "after")
			}),
			wantStatus: http.StatusBadRequest,
			wantError:  "no commit",
		},
		{
			name:   "push without ref",
			path:   hookPath("gl-shop"),
			header: gitlabHeaders("Push Hook", testToken),
			body: edit(t, "gitlab-push.json", func(m map[string]any) {
				delete(m, "ref")
			}),
			wantStatus: http.StatusBadRequest,
			wantError:  "no ref",
		},
		{
			name:       "unsupported github event",
			path:       hookPath("shop"),
			header:     githubHeaders("issues", fixture(t, "github-issues.json"), testToken),
			body:       fixture(t, "github-issues.json"),
			wantStatus: http.StatusBadRequest,
			wantError:  `unsupported GitHub event "issues"`,
		},
		{
			name:       "unsupported gitlab event",
			path:       hookPath("gl-shop"),
			header:     gitlabHeaders("Merge Request Hook", testToken),
			body:       []byte(`{"object_kind": "merge_request"}`),
			wantStatus: http.StatusBadRequest,
			wantError:  `unsupported GitLab event "Merge Request Hook"`,
		},
		{
			name:       "oversized body",
			path:       hookPath("shop"),
			header:     bearer(testToken),
			body:       bytes.Repeat([]byte(" "), DefaultMaxPlainBodyBytes+512),
			wantStatus: http.StatusRequestEntityTooLarge,
			wantError:  "larger than 16384 bytes, the hook API's limit for plain calls",
		},
		{
			name:       "body over a configured limit",
			path:       hookPath("shop"),
			header:     githubHeaders("push", push, testToken),
			body:       push,
			opts:       Options{MaxGitHubBodyBytes: 1024},
			wantStatus: http.StatusRequestEntityTooLarge,
			wantError:  "larger than 1024 bytes, the hook API's limit for GitHub deliveries",
		},
		{
			name:       "GET",
			method:     http.MethodGet,
			path:       hookPath("shop"),
			header:     bearer(testToken),
			wantStatus: http.StatusMethodNotAllowed,
		},
		{
			name:       "unknown path",
			path:       "/hooks/v1/namespaces/team-a/apps/shop",
			header:     bearer(testToken),
			wantStatus: http.StatusNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := world()
			srv := serve(t, f, tt.opts)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := call(t, srv, method, tt.path, tt.header, tt.body)
			if r.status != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %v", r.status, tt.wantStatus, r.body)
			}
			for k, v := range tt.want {
				if r.body[k] != v {
					t.Errorf("%s = %v, want %v", k, r.body[k], v)
				}
			}
			if r.status >= 400 {
				if msg, _ := r.body["error"].(string); msg == "" {
					t.Errorf("answer has no error: %v", r.body)
				} else if !strings.Contains(msg, tt.wantError) {
					t.Errorf("error = %q, want it to contain %q", msg, tt.wantError)
				}
			} else if _, ok := r.body["status"]; !ok {
				t.Errorf("answer has no status: %v", r.body)
			}
			if got := f.startedCommits(); !reflect.DeepEqual(got, tt.wantStarted) {
				t.Errorf("StartBuild created builds of %q, want %q", got, tt.wantStarted)
			}
			switch r.status {
			case http.StatusMethodNotAllowed:
				if got := r.header.Get("Allow"); got != http.MethodPost {
					t.Errorf("Allow = %q", got)
				}
			case http.StatusUnauthorized:
				if got := r.header.Get("WWW-Authenticate"); got == "" {
					t.Error("no WWW-Authenticate")
				}
			}
		})
	}
}

// A redelivered push finds the build of its commit: first 202, then 409
// with the workflow's name.
func TestReplay(t *testing.T) {
	f := world()
	srv := serve(t, f, Options{})
	push := fixture(t, "github-push.json")
	h := githubHeaders("push", push, testToken)

	first := call(t, srv, http.MethodPost, hookPath("shop"), h, push)
	if first.status != http.StatusAccepted {
		t.Fatalf("first delivery: %d %v", first.status, first.body)
	}
	second := call(t, srv, http.MethodPost, hookPath("shop"), h, push)
	if second.status != http.StatusConflict {
		t.Fatalf("second delivery: %d %v", second.status, second.body)
	}
	if second.body["workflow"] != first.body["workflow"] || second.body["workflow"] != "shop-build-0d1a26e67d" {
		t.Errorf("workflow of the replay = %v, of the first = %v", second.body["workflow"], first.body["workflow"])
	}
	if msg, _ := second.body["error"].(string); !strings.Contains(msg, githubCommit) {
		t.Errorf("error = %q", msg)
	}
	if got := f.startedCommits(); len(got) != 1 || f.calls != 2 {
		t.Errorf("started %q in %d calls, want one build in 2 calls", got, f.calls)
	}
}

// The three wrong-credential answers are the same, so that a caller cannot
// tell which part was wrong.
func TestWrongCredentialsLookAlike(t *testing.T) {
	srv := serve(t, world(), Options{})
	push := fixture(t, "github-push.json")
	replies := []reply{
		call(t, srv, http.MethodPost, hookPath("shop"), githubHeaders("push", push, "x"), push),
		call(t, srv, http.MethodPost, hookPath("shop"), gitlabHeaders("Push Hook", "x"), fixture(t, "gitlab-push.json")),
		call(t, srv, http.MethodPost, hookPath("shop"), bearer("x"), nil),
	}
	for _, r := range replies[1:] {
		if !reflect.DeepEqual(r.body, replies[0].body) || r.status != replies[0].status {
			t.Errorf("%d %v differs from %d %v", r.status, r.body, replies[0].status, replies[0].body)
		}
	}
}

// failingBuilds cannot start builds, as when the App's build template is
// missing.
type failingBuilds struct{ *fakeBuilds }

func (failingBuilds) StartBuild(context.Context, *v1alpha1.App, string) (string, error) {
	return "", errors.New("ClusterWorkflowTemplate knapp-build does not exist")
}

// An authenticated caller learns why a build cannot start.
func TestHandlerSaysWhyABuildCannotStart(t *testing.T) {
	srv := httptest.NewServer(NewHandler(failingBuilds{world()}, Options{}))
	t.Cleanup(srv.Close)
	r := call(t, srv, http.MethodPost, hookPath("shop"), bearer(testToken), []byte(`{}`))
	msg, _ := r.body["error"].(string)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(msg, "knapp-build does not exist") {
		t.Fatalf("status %d, error %q: want 503 with the reason", r.status, msg)
	}
}
