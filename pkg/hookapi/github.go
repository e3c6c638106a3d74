package hookapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strings"
)

// GitHub's headers.
const (
	HeaderGitHubEvent     = "X-GitHub-Event"
	HeaderGitHubSignature = "X-Hub-Signature-256"
	HeaderGitHubDelivery  = "X-GitHub-Delivery"
)

// GitHub events the API handles.
const (
	GitHubEventPush = "push"
	GitHubEventPing = "ping"
)

// VerifyGitHubSignature checks header, the value of X-Hub-Signature-256
// ("sha256=<hex HMAC-SHA256 of body with secret>"), in constant time. It
// returns ErrNoCredentials for an empty header and ErrBadCredentials for a
// malformed or wrong one.
func VerifyGitHubSignature(secret, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrNoCredentials
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return ErrBadCredentials
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return ErrBadCredentials
	}
	if !hmac.Equal(got, GitHubSignature(secret, body)) {
		return ErrBadCredentials
	}
	return nil
}

// GitHubSignature is the HMAC-SHA256 of body with secret, as GitHub signs.
func GitHubSignature(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// githubPush is the part of GitHub's push event the API reads.
type githubPush struct {
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Deleted    bool   `json:"deleted"`
	Repository *struct {
		CloneURL string `json:"clone_url"`
		SSHURL   string `json:"ssh_url"`
		HTMLURL  string `json:"html_url"`
	} `json:"repository"`
}

// GitHubPayload returns the JSON of a GitHub webhook delivery: the body
// itself for content type application/json, the form field payload for
// application/x-www-form-urlencoded (the content type GitHub's settings
// offer first).
func GitHubPayload(contentType string, body []byte) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: malformed form body: %v", ErrBadPayload, err)
	}
	p := form.Get("payload")
	if p == "" {
		// GitHub's form deliveries carry the JSON in the field payload; a
		// JSON body sent with a form content type (curl -d's default) lands
		// here, so say what to send instead.
		return nil, fmt.Errorf("%w: the form body has no field payload (a form-encoded GitHub delivery carries its JSON there; to send JSON, set Content-Type: application/json)", ErrBadPayload)
	}
	return []byte(p), nil
}

// ParseGitHubPush reads GitHub's push event from its JSON payload.
func ParseGitHubPush(payload []byte) (Push, error) {
	var e githubPush
	if err := json.Unmarshal(payload, &e); err != nil {
		return Push{}, fmt.Errorf("%w: malformed JSON of GitHub's push event: %v", ErrBadPayload, err)
	}
	p := Push{Ref: e.Ref, Commit: e.After, Deleted: e.Deleted}
	if e.Repository != nil {
		p.RepoURLs = []string{e.Repository.CloneURL, e.Repository.SSHURL, e.Repository.HTMLURL}
	}
	return finishPush(p)
}
