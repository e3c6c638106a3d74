package hookapi

import (
	"net/http"
	"strings"
)

// Providers, as source names them: the kind of caller the headers say.
const (
	providerGitHub = "github"
	providerGitLab = "gitlab"
	providerPlain  = "plain"
)

// hasCredentials says whether r carries the credential header of provider
// (the one its headers choose, source's), as the Verify functions see it
// (they return ErrNoCredentials exactly when it is missing). It is checked
// before the App is looked up, so that the answer without credentials is
// the same whether or not the App exists.
func hasCredentials(provider string, r *http.Request) bool {
	switch provider {
	case providerGitHub:
		return strings.TrimSpace(r.Header.Get(HeaderGitHubSignature)) != ""
	case providerGitLab:
		return r.Header.Get(HeaderGitLabToken) != ""
	default:
		return strings.TrimSpace(r.Header.Get(HeaderAuthorization)) != ""
	}
}

// dummyToken stands in for the hook token when there is none to compare
// with (no such App, no hooks, no Secret): the request is refused all the
// same, after the same constant-time comparison, so that its answer and
// the work before it look like a wrong token's. That a caller may know
// this value gains it nothing.
var dummyToken = []byte("knapp-hook-api-no-such-app-token-0000000000000000")

// verify checks r's credentials for provider against token; body is what
// a GitHub signature signs.
func verify(provider string, token []byte, r *http.Request, body []byte) error {
	switch provider {
	case providerGitHub:
		return VerifyGitHubSignature(token, body, r.Header.Get(HeaderGitHubSignature))
	case providerGitLab:
		return VerifyGitLabToken(token, r.Header.Get(HeaderGitLabToken))
	default:
		return VerifyBearer(token, r.Header.Get(HeaderAuthorization))
	}
}
