package hookapi

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Errors of the pure verification and parsing functions. The handler
// answers ErrNoCredentials and ErrBadCredentials with 401, the others with
// 400.
var (
	// ErrNoCredentials: the request carries no signature, token or bearer
	// token at all.
	ErrNoCredentials = errors.New("no credentials")
	// ErrBadCredentials: the signature or token is wrong or malformed. It
	// never says which.
	ErrBadCredentials = errors.New("bad credentials")
	// ErrUnsupportedEvent: an event the API does not handle, such as
	// GitHub's issues.
	ErrUnsupportedEvent = errors.New("unsupported event")
	// ErrBadPayload: a body that is not the expected JSON, or lacks a field
	// the API needs.
	ErrBadPayload = errors.New("bad payload")
)

// Messages of the 401 answers: one for missing credentials and one for
// every kind of wrong credentials, so that the answer never tells which
// part was wrong, nor whether the App exists, has hooks or a token.
const (
	msgNoCredentials  = "missing credentials: a GitHub webhook needs its secret set to the App's hook token (X-Hub-Signature-256), a GitLab webhook its secret token (X-Gitlab-Token), and any other call the header Authorization: Bearer <token>"
	msgBadCredentials = "the request's signature or token does not match the App's hook token"
)

// Answer bodies.
type (
	errorBody struct {
		Error    string `json:"error"`
		Workflow string `json:"workflow,omitempty"`
	}
	statusBody struct {
		Status   string `json:"status"`
		Reason   string `json:"reason,omitempty"`
		Workflow string `json:"workflow,omitempty"`
		Commit   string `json:"commit,omitempty"`
	}
)

// Statuses of the 2xx answers.
const (
	StatusStarted = "started"
	StatusIgnored = "ignored"
	StatusPong    = "pong"
)

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}
