package hookapi

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
)

// GitLab's headers.
const (
	HeaderGitLabEvent = "X-Gitlab-Event"
	HeaderGitLabToken = "X-Gitlab-Token"
	// HeaderGitLabEventUUID identifies a delivery (GitLab 15.x and later).
	HeaderGitLabEventUUID = "X-Gitlab-Event-UUID"
)

// GitLabEventPush is the only GitLab event the API handles.
const GitLabEventPush = "Push Hook"

// VerifyGitLabToken compares header, the value of X-Gitlab-Token, with
// secret in constant time. It returns ErrNoCredentials for an empty header
// and ErrBadCredentials for a wrong one.
func VerifyGitLabToken(secret []byte, header string) error {
	if header == "" {
		return ErrNoCredentials
	}
	if !equalSecret(secret, []byte(header)) {
		return ErrBadCredentials
	}
	return nil
}

// equalSecret compares a presented secret with the expected one in constant
// time; an empty expected secret matches nothing.
func equalSecret(want, got []byte) bool {
	return len(want) > 0 && subtle.ConstantTimeCompare(want, got) == 1
}

// gitlabPush is the part of GitLab's push event the API reads.
type gitlabPush struct {
	ObjectKind  string `json:"object_kind"`
	Ref         string `json:"ref"`
	After       string `json:"after"`
	CheckoutSHA string `json:"checkout_sha"`
	Project     *struct {
		GitHTTPURL string `json:"git_http_url"`
		GitSSHURL  string `json:"git_ssh_url"`
		WebURL     string `json:"web_url"`
	} `json:"project"`
}

// ParseGitLabPush reads GitLab's push event (Push Hook) from its JSON
// payload. The commit is checkout_sha, else after; an all-zero after means
// the branch was deleted.
func ParseGitLabPush(payload []byte) (Push, error) {
	var e gitlabPush
	if err := json.Unmarshal(payload, &e); err != nil {
		return Push{}, fmt.Errorf("%w: malformed JSON of GitLab's push event: %v", ErrBadPayload, err)
	}
	if e.ObjectKind != "" && e.ObjectKind != "push" {
		return Push{}, fmt.Errorf("%w: GitLab object_kind %q, want push", ErrUnsupportedEvent, e.ObjectKind)
	}
	p := Push{Ref: e.Ref, Commit: e.CheckoutSHA}
	if isZeroSHA(e.After) {
		p.Deleted = true
	} else if p.Commit == "" {
		p.Commit = e.After
	}
	if e.Project != nil {
		p.RepoURLs = []string{e.Project.GitHTTPURL, e.Project.GitSSHURL, e.Project.WebURL}
	}
	return finishPush(p)
}
