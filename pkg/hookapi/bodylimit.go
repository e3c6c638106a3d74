package hookapi

import (
	"bytes"
	"errors"
	"net/http"
)

// callerNames name each provider's callers in answers.
var callerNames = map[string]string{
	providerGitHub: "GitHub deliveries",
	providerGitLab: "GitLab deliveries",
	providerPlain:  `plain calls (whose body is {"revision": "..."})`,
}

// readBody reads r's body, at most limit bytes, or returns the refusal: a
// larger body, or a Content-Length that announces one, is answered 413
// naming the limit (the Content-Length first, so that such a body is not
// read at all); a body that cannot be read, 400.
func readBody(w http.ResponseWriter, r *http.Request, provider string, limit int64) ([]byte, *answer) {
	tooLarge := fail(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes, the hook API's limit for %s", limit, callerNames[provider])
	if r.ContentLength > limit {
		return nil, &tooLarge
	}
	// One allocation when the length is known, where io.ReadAll would
	// grow its buffer a dozen times for a 1 MiB body, twice the memory.
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(serverWriter(w), r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &tooLarge
		}
		a := fail(http.StatusBadRequest, "could not read the body: %v", err)
		return nil, &a
	}
	return buf.Bytes(), nil
}
