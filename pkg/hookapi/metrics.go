package hookapi

import (
	"net/http"
	"strconv"

	"knapp.dev/knapp/pkg/metrics"
)

// countRequests counts every answer of next in knapp_hook_requests_total,
// by provider and status code: one place for all the handler's branches,
// the JSON 404 of unknown paths included.
func countRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		metrics.HookRequests.WithLabelValues(provider(r), strconv.Itoa(sw.code())).Inc()
	})
}

// provider names the caller as the handler tells them apart (source),
// except that a caller with neither a git server's event header nor an
// Authorization header is unknown rather than plain: a scanner, or a hook
// set up without its secret.
func provider(r *http.Request) string {
	switch s := source(r); {
	case s != metrics.ProviderPlain:
		return s
	case r.Header.Get(HeaderAuthorization) != "":
		return metrics.ProviderPlain
	default:
		return metrics.ProviderUnknown
	}
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController, and serverWriter, the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// serverWriter is the writer net/http gave, below any wrapper: an
// http.MaxBytesReader tells it to close the connection after a body that
// is too large, which it cannot through a wrapper.
func serverWriter(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}
