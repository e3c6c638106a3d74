package hookapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"knapp.dev/knapp/api/v1alpha1"
)

// HeaderAuthorization carries the bearer token of a plain call.
const HeaderAuthorization = "Authorization"

// VerifyBearer checks header, the value of Authorization ("Bearer
// <token>"), against secret in constant time. It returns ErrNoCredentials
// for an empty header and ErrBadCredentials for another scheme or a wrong
// token.
func VerifyBearer(secret []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrNoCredentials
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ErrBadCredentials
	}
	if !equalSecret(secret, []byte(strings.TrimSpace(token))) {
		return ErrBadCredentials
	}
	return nil
}

// PlainRequest is the body of a plain call.
type PlainRequest struct {
	// Revision to build: a commit or a branch; defaults to the App's
	// spec.build.git.revision, which defaults to main.
	Revision string `json:"revision,omitempty"`
}

// maxRevisionLen is spec.build.git.revision's limit.
const maxRevisionLen = 255

// ParsePlain reads the body of a plain call. An empty body asks for the
// default revision; unknown fields are an error, so that a misspelt field
// does not silently build the default revision.
func ParsePlain(body []byte) (PlainRequest, error) {
	var req PlainRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return PlainRequest{}, fmt.Errorf(`%w: want the JSON body {"revision": "<commit or branch>"}: %v`, ErrBadPayload, err)
	}
	if dec.More() {
		return PlainRequest{}, fmt.Errorf("%w: want a single JSON object", ErrBadPayload)
	}
	req.Revision = strings.TrimSpace(req.Revision)
	if err := checkRevision(req.Revision); err != nil {
		return PlainRequest{}, err
	}
	return req, nil
}

// checkRevision rejects what can be no git branch, tag or commit by the
// App's own rule for spec.build.git.revision (v1alpha1.GitRefProblem),
// Argo template syntax included; an empty revision is the default.
func checkRevision(r string) error {
	if r == "" {
		return nil
	}
	if len(r) > maxRevisionLen {
		return fmt.Errorf("%w: revision is longer than %d characters", ErrBadPayload, maxRevisionLen)
	}
	if msg := v1alpha1.GitRefProblem(r); msg != "" {
		return fmt.Errorf("%w: revision %q is not a git branch, tag or commit: %s", ErrBadPayload, r, msg)
	}
	return nil
}
