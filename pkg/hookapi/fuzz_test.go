package hookapi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"knapp.dev/knapp/api/v1alpha1"
)

// FuzzParse feeds a body, with a content type, to every payload parser.
// None panics; each fails only with ErrBadPayload (or, for GitLab,
// ErrUnsupportedEvent); a parsed push has a ref, a full lower-case commit
// unless it deletes the ref, and a repository URL; a plain call's revision
// is trimmed and a possible git ref. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	app := hookApp("shop", githubRepoURL, "shop-hook")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		payload, err := GitHubPayload(contentType, body)
		switch {
		case err != nil && !errors.Is(err, ErrBadPayload):
			t.Fatalf("GitHubPayload: %v", err)
		case err == nil:
			p, err := ParseGitHubPush(payload)
			checkPush(t, app, p, err, ErrBadPayload)
		}
		p, err := ParseGitLabPush(body)
		checkPush(t, app, p, err, ErrBadPayload, ErrUnsupportedEvent)

		req, err := ParsePlain(body)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) || req != (PlainRequest{}) {
				t.Fatalf("ParsePlain: %+v, %v", req, err)
			}
			return
		}
		if r := req.Revision; r != strings.TrimSpace(r) || len(r) > maxRevisionLen || strings.ContainsFunc(r, isSpaceOrControl) || strings.Contains(r, "{{") || strings.Contains(r, "}}") {
			t.Fatalf("ParsePlain accepted revision %q", r)
		}
	})
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// checkPush checks a parser's result: an error of the kinds given, or a
// push as Push documents it.
func checkPush(t *testing.T, app *v1alpha1.App, p Push, err error, kinds ...error) {
	t.Helper()
	if err != nil {
		for _, k := range kinds {
			if errors.Is(err, k) {
				return
			}
		}
		t.Fatalf("error %v is none of %v", err, kinds)
	}
	if p.Ref == "" || p.Deleted != (p.Commit == "") || len(p.RepoURLs) == 0 {
		t.Fatalf("push %+v: want a ref, a commit unless deleted, a repository URL", p)
	}
	if !p.Deleted {
		if _, err := checkCommit(p.Commit); err != nil || p.Commit != strings.ToLower(p.Commit) || isZeroSHA(p.Commit) {
			t.Fatalf("push of commit %q: %v", p.Commit, err)
		}
	}
	if b, ok := strings.CutPrefix(p.Ref, "refs/heads/"); !ok && p.Branch() != "" || ok && p.Branch() != b {
		t.Fatalf("ref %q: branch %q", p.Ref, p.Branch())
	}
	if IgnoreReason(app, p) == "" && (p.Deleted || p.Branch() != v1alpha1.DefaultBuildRevision) {
		t.Fatalf("push %+v would build App %s, whose hook builds %s", p, app.Name, v1alpha1.DefaultBuildRevision)
	}
	for _, u := range p.RepoURLs {
		n, err := NormalizeRepoURL(u)
		if u == "" || err == nil && (!SameRepo(u, u) || strings.HasPrefix(n, "/") || strings.HasSuffix(n, "/")) {
			t.Fatalf("repository URL %q normalises to %q", u, n)
		}
	}
}

// answerCodes are the handler's documented answers (doc.go) but 500, which
// only a failing cluster causes.
var answerCodes = sets.New(http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusUnauthorized,
	http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusConflict,
	http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusServiceUnavailable)

// beforeAuth are the answers a caller gets without the App's token: 404
// only for a path that can name no App, 413 for a GitHub delivery (whose
// body is read before its signature can be checked), and 503 only when the
// API is at its concurrency limit, which one request at a time never is.
var beforeAuth = sets.New(http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed,
	http.StatusRequestEntityTooLarge)

// FuzzHandler sends a request with fuzzed method, App, event headers,
// content type, credentials and body to the handler, over the Apps of
// handler_test.go's world. It never panics and answers one of the
// documented codes with a JSON object: {"status"} for 2xx, {"error"}
// otherwise. Without the App's token nothing but 401, 404, 405 and 413
// comes back and no build starts; a 202 started exactly one build, of a
// full commit for a push, of a plain call's revision otherwise, and the
// same request again answers 409 and starts nothing. With sign set the
// credentials are the App's token, else credential. Seeds are in
// testdata/fuzz/FuzzHandler.
func FuzzHandler(f *testing.F) {
	f.Fuzz(func(t *testing.T, method, app, githubEvent, gitlabEvent, contentType, credential string, sign bool, body []byte) {
		builds := world()
		h := NewHandler(builds, Options{MaxGitHubBodyBytes: 4096, MaxGitLabBodyBytes: 4096, MaxPlainBodyBytes: 4096})
		target := "/hooks/v1/namespaces/team-a/apps/" + url.PathEscape(app) + "/builds"
		send := func() (*http.Request, *httptest.ResponseRecorder) {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Method, r.URL.Path = method, target
			for k, v := range map[string]string{HeaderGitHubEvent: githubEvent, HeaderGitLabEvent: gitlabEvent, "Content-Type": contentType} {
				if v != "" {
					r.Header.Set(k, v)
				}
			}
			if sign {
				r.Header.Set(HeaderGitHubSignature, "sha256="+hex.EncodeToString(GitHubSignature([]byte(testToken), body)))
				r.Header.Set(HeaderGitLabToken, testToken)
				r.Header.Set(HeaderAuthorization, "Bearer "+testToken)
			} else if credential != "" {
				for _, k := range []string{HeaderGitHubSignature, HeaderGitLabToken, HeaderAuthorization} {
					r.Header.Set(k, credential)
				}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return r, w
		}
		r, w := send()

		if path.Clean(target) != target && method != http.MethodConnect {
			// ServeMux redirects to the clean path (not JSON) before the handler runs.
			if w.Code != http.StatusTemporaryRedirect && w.Code != http.StatusMovedPermanently || len(builds.startedCommits()) > 0 {
				t.Fatalf("unclean path %q: %d", target, w.Code)
			}
			return
		}
		var answer map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%d answer is not JSON (%s): %v: %s", w.Code, w.Header().Get("Content-Type"), err, w.Body)
		}
		status, _ := answer["status"].(string)
		errMsg, _ := answer["error"].(string)
		switch {
		case !answerCodes.Has(w.Code):
			t.Fatalf("undocumented answer %d: %s", w.Code, w.Body)
		case w.Code < 300 && !sets.New(StatusStarted, StatusIgnored, StatusPong).Has(status), w.Code >= 300 && errMsg == "":
			t.Fatalf("%d answers %s", w.Code, w.Body)
		case w.Code == http.StatusMethodNotAllowed && w.Header().Get("Allow") != http.MethodPost,
			w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "":
			t.Fatalf("%d without its header: %v", w.Code, w.Header())
		}

		started := builds.startedCommits()
		if !authenticated(r, body) && (!beforeAuth.Has(w.Code) || len(started) > 0 ||
			w.Code == http.StatusRequestEntityTooLarge && source(r) != providerGitHub) {
			t.Fatalf("without the token: %d %s, builds %q", w.Code, w.Body, started)
		}
		if (w.Code == http.StatusAccepted) != (len(started) == 1) || len(started) > 1 {
			t.Fatalf("%d with builds %q", w.Code, started)
		}
		if w.Code != http.StatusAccepted {
			return
		}
		commit := started[0]
		if wf, _ := answer["workflow"].(string); answer["commit"] != commit || wf == "" {
			t.Fatalf("202 %s for build of %q", w.Body, commit)
		}
		if source(r) != providerPlain {
			if _, err := checkCommit(commit); err != nil || commit != strings.ToLower(commit) {
				t.Fatalf("a push started a build of %q", commit)
			}
		} else if err := checkRevision(commit); err != nil || commit == "" {
			t.Fatalf("a plain call started a build of %q: %v", commit, err)
		}
		// A replayed delivery starts nothing and names the build.
		if _, again := send(); again.Code != http.StatusConflict || !strings.Contains(again.Body.String(), `"workflow":"`) || len(builds.startedCommits()) != 1 {
			t.Fatalf("the same request again: %d %s", again.Code, again.Body)
		}
	})
}

// authenticated says whether r carries the world's token for the kind of
// call the handler takes it for.
func authenticated(r *http.Request, body []byte) bool {
	token := []byte(testToken)
	switch source(r) {
	case "github":
		return VerifyGitHubSignature(token, body, r.Header.Get(HeaderGitHubSignature)) == nil
	case "gitlab":
		return VerifyGitLabToken(token, r.Header.Get(HeaderGitLabToken)) == nil
	default:
		return VerifyBearer(token, r.Header.Get(HeaderAuthorization)) == nil
	}
}
