package hookapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"

	"knapp.dev/knapp/api/v1alpha1"
)

// Pattern is the http.ServeMux pattern of the build hook.
const Pattern = "/hooks/v1/namespaces/{namespace}/apps/{name}/builds"

// PathOf is Pattern for one App.
func PathOf(namespace, name string) string {
	return "/hooks/v1/namespaces/" + namespace + "/apps/" + name + "/builds"
}

// NewHandler returns the hook API: Pattern, and a JSON 404 for every other
// path. Every answer is counted in knapp_hook_requests_total (pkg/metrics).
func NewHandler(b Builds, opts Options) http.Handler {
	opts = opts.withDefaults()
	h := &handler{
		builds:  b,
		opts:    opts,
		log:     opts.Logger,
		slots:   newSlots(opts.MaxConcurrent),
		limiter: newBuildLimiter(opts.BuildsPerMinute, opts.BuildBurst),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(Pattern, h.serveBuilds)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: POST "+
			"/hooks/v1/namespaces/<namespace>/apps/<name>/builds starts builds")
	})
	return countRequests(mux)
}

type handler struct {
	builds  Builds
	opts    Options
	log     logr.Logger
	slots   slots
	limiter *buildLimiter
}

// answer is a status code and the JSON body to answer with.
type answer struct {
	status int
	body   any
	// why is the reason of a refusal that the answer keeps from the caller
	// (a 401 for an App that does not exist, say), for knapp's log.
	why string
}

func ok(status int, body statusBody) answer { return answer{status: status, body: body} }

func fail(status int, format string, args ...any) answer {
	return answer{status: status, body: errorBody{Error: fmt.Sprintf(format, args...)}}
}

func (h *handler) serveBuilds(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	log := h.log.WithValues("namespace", ns, "app", name, "source", source(r))
	if id := r.Header.Get(HeaderGitHubDelivery); id != "" {
		log = log.WithValues("githubDelivery", id)
	}
	if id := r.Header.Get(HeaderGitLabEventUUID); id != "" {
		log = log.WithValues("gitlabEventUUID", id)
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	body := &eofWatcher{ReadCloser: r.Body}
	r.Body = body
	a := h.handle(logr.NewContext(r.Context(), log), w, r, ns, name)
	r.Body = body.ReadCloser
	if r.ContentLength != 0 && !body.sawEOF {
		// Refused before its body was read: close the connection, or
		// net/http would read up to 256 KiB of the body to keep it.
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, a.status, a.body)

	kv := []any{"status", a.status}
	switch b := a.body.(type) {
	case statusBody:
		kv = append(kv, "result", b.Status, "workflow", b.Workflow, "commit", b.Commit, "reason", b.Reason)
	case errorBody:
		kv = append(kv, "error", b.Error, "workflow", b.Workflow)
	}
	if a.why != "" {
		kv = append(kv, "reason", a.why)
	}
	if a.status == http.StatusAccepted {
		log.Info("build hook started a build", kv...)
	} else {
		log.V(1).Info("build hook answered", kv...)
	}
}

// eofWatcher tells whether a body was read to its end.
type eofWatcher struct {
	io.ReadCloser
	sawEOF bool
}

func (b *eofWatcher) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.sawEOF = true
	}
	return n, err
}

// source names the kind of caller for the log (and, through provider, the metrics).
func source(r *http.Request) string {
	switch {
	case r.Header.Get(HeaderGitHubEvent) != "":
		return providerGitHub
	case r.Header.Get(HeaderGitLabEvent) != "":
		return providerGitLab
	default:
		return providerPlain
	}
}

// handle answers a request in the order that spends least on callers
// without the App's token: no body is read without the credential header,
// nor before a GitLab or bearer token matched the App's (a GitHub
// signature needs the body); and the answer for an App that does not
// exist, has no hooks or no token is the same 401 as for a wrong token,
// after the same in-memory work (the App from the cache, the token from a
// cache, a constant-time comparison).
func (h *handler) handle(ctx context.Context, w http.ResponseWriter, r *http.Request, ns, name string) answer {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fail(http.StatusMethodNotAllowed, "method %s is not allowed: send POST", r.Method)
	}
	if !h.slots.tryAcquire() {
		w.Header().Set("Retry-After", "1")
		return fail(http.StatusServiceUnavailable, "the build hook API is at its limit of %d concurrent requests; try again in a second", h.opts.MaxConcurrent)
	}
	defer h.slots.release()

	ref := ns + "/" + name
	if len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return fail(http.StatusNotFound, "no app at %q: a namespace is a DNS label and an App name a DNS subdomain (lower-case letters, digits, '-' and '.')", ref)
	}
	provider := source(r)
	if !hasCredentials(provider, r) {
		return unauthorized(w, ErrNoCredentials)
	}
	app, token, why, failed := h.lookUp(ctx, ns, name)
	if failed != nil {
		return *failed
	}

	limit := h.opts.maxBody(provider)
	var body []byte
	if provider == providerGitHub {
		// The signature is of the body: it must be read first, App or not,
		// so that an unknown App and a wrong signature look alike.
		var refused *answer
		if body, refused = readBody(w, r, provider, limit); refused != nil {
			return *refused
		}
	}
	if err := verify(provider, token, r, body); err != nil || why != "" {
		if why == "" {
			why = "wrong signature or token"
		}
		a := unauthorized(w, ErrBadCredentials)
		a.why = why
		return a
	}
	if provider != providerGitHub {
		var refused *answer
		if body, refused = readBody(w, r, provider, limit); refused != nil {
			return *refused
		}
	}

	switch provider {
	case providerGitHub:
		return h.github(ctx, w, r, app, body)
	case providerGitLab:
		return h.gitlab(ctx, w, r, app, body)
	default:
		return h.plain(ctx, w, app, body)
	}
}

// lookUp returns the App named and its hook token. When there is no token
// to check against (no such App, no hooks, no Secret, an empty token) it
// returns dummyToken and why, for the log; failed is the answer when the
// cluster could not be asked.
func (h *handler) lookUp(ctx context.Context, ns, name string) (app *v1alpha1.App, token []byte, why string, failed *answer) {
	log := logr.FromContextOrDiscard(ctx)
	ref := ns + "/" + name
	app, err := h.builds.GetApp(ctx, ns, name)
	switch {
	case apierrors.IsNotFound(err), err == nil && app == nil:
		return nil, dummyToken, "no such App", nil
	case err != nil:
		log.Error(err, "build hook could not get the App")
		a := fail(http.StatusInternalServerError, "could not read app %q; try again later", ref)
		return nil, nil, "", &a
	case app.Spec.Build == nil || app.Spec.Build.Hook == nil:
		return nil, dummyToken, "the App has no spec.build.hook", nil
	}

	secretRef := ns + "/" + app.Spec.Build.Hook.SecretName
	token, err = h.builds.HookToken(ctx, app)
	switch {
	case errors.Is(err, ErrSecretNotFound):
		return nil, dummyToken, fmt.Sprintf("the hook Secret %s (spec.build.hook.secretName) is missing or has no key %q", secretRef, TokenKey), nil
	case err != nil:
		log.Error(err, "build hook could not read the hook Secret", "secret", secretRef)
		a := fail(http.StatusInternalServerError, "could not read the hook Secret of app %q; try again later", ref)
		return nil, nil, "", &a
	}
	// A Secret made from a file often ends in a newline the git server's
	// secret does not have.
	token = bytes.TrimSpace(token)
	if len(token) == 0 {
		return nil, dummyToken, fmt.Sprintf("the key %q of the hook Secret %s is empty", TokenKey, secretRef), nil
	}
	return app, token, "", nil
}

// github answers a delivery whose signature is verified.
func (h *handler) github(ctx context.Context, w http.ResponseWriter, r *http.Request, app *v1alpha1.App, body []byte) answer {
	switch event := r.Header.Get(HeaderGitHubEvent); event {
	case GitHubEventPing:
		return ok(http.StatusOK, statusBody{Status: StatusPong})
	case GitHubEventPush:
	default:
		return fail(http.StatusBadRequest, "unsupported GitHub event %q: let the webhook send only push events", event)
	}
	payload, err := GitHubPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	push, err := ParseGitHubPush(payload)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	return h.push(ctx, w, app, push)
}

// gitlab answers a delivery whose token is verified.
func (h *handler) gitlab(ctx context.Context, w http.ResponseWriter, r *http.Request, app *v1alpha1.App, body []byte) answer {
	if event := r.Header.Get(HeaderGitLabEvent); event != GitLabEventPush {
		return fail(http.StatusBadRequest, "unsupported GitLab event %q: let the webhook send only push events", event)
	}
	push, err := ParseGitLabPush(body)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	return h.push(ctx, w, app, push)
}

// plain answers a call whose bearer token is verified.
func (h *handler) plain(ctx context.Context, w http.ResponseWriter, app *v1alpha1.App, body []byte) answer {
	req, err := ParsePlain(body)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	rev := req.Revision
	if rev == "" {
		rev = app.Spec.Build.GitRevision()
	}
	return h.start(ctx, w, app, rev)
}

// push starts a build for a push of the App's repository and branch.
func (h *handler) push(ctx context.Context, w http.ResponseWriter, app *v1alpha1.App, p Push) answer {
	want := app.Spec.Build.Git.URL
	same := false
	for _, u := range p.RepoURLs {
		same = same || SameRepo(u, want)
	}
	if !same {
		return fail(http.StatusForbidden, "the push is of repository %q, not of the App's spec.build.git.url %q", p.RepoURLs[0], want)
	}
	if reason := IgnoreReason(app, p); reason != "" {
		return ok(http.StatusOK, statusBody{Status: StatusIgnored, Reason: reason})
	}
	return h.start(ctx, w, app, p.Commit)
}

// start starts a build once the App's build rate allows one.
func (h *handler) start(ctx context.Context, w http.ResponseWriter, app *v1alpha1.App, rev string) answer {
	ref := app.Namespace + "/" + app.Name
	if allowed, wait := h.limiter.allow(ref); !allowed {
		secs := retryAfter(wait)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return fail(http.StatusTooManyRequests, "app %s has started builds faster than the hook API allows (%d a minute, %d at once); try again in %ds",
			ref, h.opts.BuildsPerMinute, h.opts.BuildBurst, secs)
	}
	wf, err := h.builds.StartBuild(ctx, app, rev)
	switch {
	case errors.Is(err, ErrBuildExists):
		return answer{status: http.StatusConflict, body: errorBody{
			Error:    fmt.Sprintf("a build of %q exists already, as workflow %q: this delivery was handled before", rev, wf),
			Workflow: wf,
		}}
	case err != nil:
		// The caller proved it holds the secret: tell it why (a missing build
		// template, say); the App's BuildSucceeded condition says the same.
		logr.FromContextOrDiscard(ctx).Error(err, "build hook could not start the build", "revision", rev)
		return fail(http.StatusServiceUnavailable, "could not start the build of %q: %v", rev, err)
	}
	return ok(http.StatusAccepted, statusBody{Status: StatusStarted, Workflow: wf, Commit: rev})
}

// unauthorized answers 401 with one message for missing and one for any
// wrong credentials.
func unauthorized(w http.ResponseWriter, err error) answer {
	w.Header().Set("WWW-Authenticate", `Bearer realm="knapp build hook"`)
	if errors.Is(err, ErrNoCredentials) {
		return fail(http.StatusUnauthorized, "%s", msgNoCredentials)
	}
	return fail(http.StatusUnauthorized, "%s", msgBadCredentials)
}
