package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/watch"

	"knapp.dev/knapp/api/v1alpha1"
)

// eventStream writes server-sent events, each flushed at once.
type eventStream struct {
	w       http.ResponseWriter
	flusher http.Flusher
}

func startStream(w http.ResponseWriter) (*eventStream, bool) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported", http.StatusInternalServerError)
		return nil, false
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return &eventStream{w: w, flusher: flusher}, true
}

// send writes v as one event (a message when event is ""); false once the
// page is gone.
func (s *eventStream) send(event string, v any) bool {
	data, err := json.Marshal(v)
	if err != nil {
		return false
	}
	if event != "" {
		if _, err := fmt.Fprintf(s.w, "event: %s\n", event); err != nil {
			return false
		}
	}
	if _, err := fmt.Fprintf(s.w, "data: %s\n\n", data); err != nil {
		return false
	}
	s.flusher.Flush()
	return true
}

// follow calls changed for each App the watch reports, and flush at most
// once per every (after each change when 0), until the page goes, flush
// says stop, or the apiserver ends the watch (a timeout: the page's
// EventSource reconnects and starts from a fresh read). A busy
// namespace's list is so sent a few times a second, not once per change,
// and never later than every after a change.
func follow(r *http.Request, watcher watch.Interface, every time.Duration, changed func(watch.EventType, *v1alpha1.App), flush func() bool) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	pending := false
	for {
		select {
		case <-r.Context().Done():
			return
		case <-timer.C:
			pending = false
			if !flush() {
				return
			}
		case ev, open := <-watcher.ResultChan():
			if !open {
				return
			}
			app, ok := ev.Object.(*v1alpha1.App)
			if !ok || ev.Type == watch.Error || ev.Type == watch.Bookmark {
				continue
			}
			changed(ev.Type, app)
			switch {
			case every == 0:
				if !flush() {
					return
				}
			case !pending:
				pending = true
				timer.Reset(every)
			}
		}
	}
}
