package hookapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"

	"knapp.dev/knapp/api/v1alpha1"
)

// Pattern is the http.ServeMux pattern of the build hook.
const Pattern = "/hooks/v1/namespaces/{namespace}/apps/{name}/builds"

// DefaultMaxBodyBytes is the largest body the API reads unless
// Options.MaxBodyBytes says otherwise. GitHub caps payloads at 25 MB but
// push payloads of a few commits are a few tens of KiB.
const DefaultMaxBodyBytes = 1 << 20

// Options of the handler.
type Options struct {
	// MaxBodyBytes is the largest body read; larger bodies are answered
	// 413. Zero or less means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger logs every answer; the zero Logger discards.
	Logger logr.Logger
}

// NewHandler returns the hook API: Pattern, and a JSON 404 for every other
// path. Every answer is counted in knapp_hook_requests_total (pkg/metrics).
func NewHandler(b Builds, opts Options) http.Handler {
	h := &handler{builds: b, maxBody: opts.MaxBodyBytes, log: opts.Logger}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
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
	maxBody int64
	log     logr.Logger
}

// answer is a status code and the JSON body to answer with.
type answer struct {
	status int
	body   any
}

func ok(status int, body statusBody) answer { return answer{status, body} }

func fail(status int, format string, args ...any) answer {
	return answer{status, errorBody{Error: fmt.Sprintf(format, args...)}}
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
	a := h.handle(logr.NewContext(r.Context(), log), w, r, ns, name)
	writeJSON(w, a.status, a.body)

	kv := []any{"status", a.status}
	switch b := a.body.(type) {
	case statusBody:
		kv = append(kv, "result", b.Status, "workflow", b.Workflow, "commit", b.Commit, "reason", b.Reason)
	case errorBody:
		kv = append(kv, "error", b.Error, "workflow", b.Workflow)
	}
	if a.status == http.StatusAccepted {
		log.Info("build hook started a build", kv...)
	} else {
		log.V(1).Info("build hook answered", kv...)
	}
}

// source names the kind of caller for the log (and, through provider, the metrics).
func source(r *http.Request) string {
	switch {
	case r.Header.Get(HeaderGitHubEvent) != "":
		return "github"
	case r.Header.Get(HeaderGitLabEvent) != "":
		return "gitlab"
	default:
		return "plain"
	}
}

func (h *handler) handle(ctx context.Context, w http.ResponseWriter, r *http.Request, ns, name string) answer {
	log := logr.FromContextOrDiscard(ctx)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fail(http.StatusMethodNotAllowed, "method %s is not allowed: send POST", r.Method)
	}

	body, err := io.ReadAll(http.MaxBytesReader(serverWriter(w), r.Body, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fail(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", h.maxBody)
		}
		return fail(http.StatusBadRequest, "could not read the body: %v", err)
	}

	ref := ns + "/" + name
	// One answer for "no such App" and "no hooks": a caller without the
	// secret learns nothing about which Apps exist.
	notFound := fail(http.StatusNotFound, "no app with build hooks at %q", ref)
	if len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return notFound
	}
	app, err := h.builds.GetApp(ctx, ns, name)
	switch {
	case apierrors.IsNotFound(err), err == nil && app == nil:
		return notFound
	case err != nil:
		log.Error(err, "build hook could not get the App")
		return fail(http.StatusInternalServerError, "could not read app %q; try again later", ref)
	case app.Spec.Build == nil || app.Spec.Build.Hook == nil:
		return notFound
	}

	secretRef := ns + "/" + app.Spec.Build.Hook.SecretName
	token, err := h.builds.HookToken(ctx, app)
	switch {
	case errors.Is(err, ErrSecretNotFound):
		log.Info("build hook Secret missing", "secret", secretRef)
		return fail(http.StatusServiceUnavailable, "the hook Secret of app %q (spec.build.hook.secretName) is missing or has no key %q; the App's owner must create it", ref, TokenKey)
	case err != nil:
		log.Error(err, "build hook could not read the hook Secret", "secret", secretRef)
		return fail(http.StatusInternalServerError, "could not read the hook Secret of app %q; try again later", ref)
	}
	// A Secret made from a file often ends in a newline the git server's
	// secret does not have.
	token = bytes.TrimSpace(token)
	if len(token) == 0 {
		log.Info("build hook Secret empty", "secret", secretRef)
		return fail(http.StatusServiceUnavailable, "the key %q of the hook Secret of app %q (spec.build.hook.secretName) is empty; the App's owner must set it", TokenKey, ref)
	}

	switch {
	case r.Header.Get(HeaderGitHubEvent) != "":
		return h.github(ctx, w, r, app, token, body)
	case r.Header.Get(HeaderGitLabEvent) != "":
		return h.gitlab(ctx, w, r, app, token, body)
	default:
		return h.plain(ctx, w, r, app, token, body)
	}
}

func (h *handler) github(ctx context.Context, w http.ResponseWriter, r *http.Request, app *v1alpha1.App, token, body []byte) answer {
	if err := VerifyGitHubSignature(token, body, r.Header.Get(HeaderGitHubSignature)); err != nil {
		return unauthorized(w, err)
	}
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
	return h.push(ctx, app, push)
}

func (h *handler) gitlab(ctx context.Context, w http.ResponseWriter, r *http.Request, app *v1alpha1.App, token, body []byte) answer {
	if err := VerifyGitLabToken(token, r.Header.Get(HeaderGitLabToken)); err != nil {
		return unauthorized(w, err)
	}
	if event := r.Header.Get(HeaderGitLabEvent); event != GitLabEventPush {
		return fail(http.StatusBadRequest, "unsupported GitLab event %q: let the webhook send only push events", event)
	}
	push, err := ParseGitLabPush(body)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	return h.push(ctx, app, push)
}

func (h *handler) plain(ctx context.Context, w http.ResponseWriter, r *http.Request, app *v1alpha1.App, token, body []byte) answer {
	if err := VerifyBearer(token, r.Header.Get(HeaderAuthorization)); err != nil {
		return unauthorized(w, err)
	}
	req, err := ParsePlain(body)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	rev := req.Revision
	if rev == "" {
		rev = app.Spec.Build.GitRevision()
	}
	return h.start(ctx, app, rev)
}

// push starts a build for a push of the App's repository and branch.
func (h *handler) push(ctx context.Context, app *v1alpha1.App, p Push) answer {
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
	return h.start(ctx, app, p.Commit)
}

func (h *handler) start(ctx context.Context, app *v1alpha1.App, rev string) answer {
	wf, err := h.builds.StartBuild(ctx, app, rev)
	switch {
	case errors.Is(err, ErrBuildExists):
		return answer{http.StatusConflict, errorBody{
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
