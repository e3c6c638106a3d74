package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// listApps answers the Apps of ?namespace=, or of every namespace the
// caller may list, each as its view.
func (s *console) listApps(w http.ResponseWriter, r *http.Request) {
	var opts []client.ListOption
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	list := &v1alpha1.AppList{}
	if err := s.client.List(r.Context(), list, opts...); err != nil {
		writeError(w, err)
		return
	}
	views := make([]appView, 0, len(list.Items))
	for i := range list.Items {
		views = append(views, viewOf(&list.Items[i]))
	}
	sort.Slice(views, func(i, j int) bool {
		return views[i].Namespace+"/"+views[i].Name < views[j].Namespace+"/"+views[j].Name
	})
	writeJSON(w, http.StatusOK, map[string]any{"namespace": s.namespace, "apps": views})
}

func (s *console) getApp(w http.ResponseWriter, r *http.Request) {
	app := &v1alpha1.App{}
	if err := s.client.Get(r.Context(), appKey(r), app); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(app))
}

// watchApp streams the App's view as server-sent events: the App as it
// is now, then once each time it changes, from a watch that starts at the
// version just read (so nothing between is missed), both with the caller's
// own credentials.
func (s *console) watchApp(w http.ResponseWriter, r *http.Request) {
	key := appKey(r)
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported", http.StatusInternalServerError)
		return
	}
	app := &v1alpha1.App{}
	if err := s.client.Get(r.Context(), key, app); err != nil {
		writeError(w, err)
		return
	}
	watcher, err := s.client.Watch(r.Context(), &v1alpha1.AppList{}, client.InNamespace(key.Namespace),
		client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", key.Name)},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: app.ResourceVersion}})
	if err != nil {
		writeError(w, err)
		return
	}
	defer watcher.Stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(event string, app *v1alpha1.App) bool {
		data, err := json.Marshal(viewOf(app))
		if err != nil {
			return false
		}
		if event != "" {
			fmt.Fprintf(w, "event: %s\n", event)
		}
		fmt.Fprintf(w, "data: %s\n\n", data)
		flusher.Flush()
		return true
	}
	if !send("", app) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, open := <-watcher.ResultChan():
			if !open {
				// The apiserver ended the watch (a timeout); the page's
				// EventSource reconnects and starts from a fresh read.
				return
			}
			changed, ok := ev.Object.(*v1alpha1.App)
			if !ok || ev.Type == watch.Error || ev.Type == watch.Bookmark {
				continue
			}
			event := ""
			if ev.Type == watch.Deleted {
				event = "deleted"
			}
			if !send(event, changed) {
				return
			}
		}
	}
}

// act runs promote, rollback, pause or resume exactly as the plugin's
// commands do (applyChange, with the same Argo CD guard); ?force=true is
// --force and ?revision= rollback's REVISION.
func (s *console) act(w http.ResponseWriter, r *http.Request) {
	var edit editFunc
	switch action := r.PathValue("action"); action {
	case "promote":
		edit = releaseEdit(promote)
	case "rollback":
		edit = releaseEdit(rollback(r.URL.Query().Get("revision")))
	case "pause", "resume":
		edit = releaseEdit(pause(action == "pause"))
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("unknown action %q: promote, rollback, pause or resume", action)})
		return
	}
	app := &v1alpha1.App{}
	if err := s.client.Get(r.Context(), appKey(r), app); err != nil {
		writeError(w, err)
		return
	}
	words, err := applyChange(r.Context(), s.client, app, r.URL.Query().Get("force") == "true", edit)
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": fmt.Sprintf("app.knapp.dev/%s patched: %s", app.Name, words)})
}

func appKey(r *http.Request) client.ObjectKey {
	return client.ObjectKey{Namespace: r.PathValue("namespace"), Name: r.PathValue("name")}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers the API's refusal with its own status code.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if status, ok := err.(apierrors.APIStatus); ok {
		code = int(status.Status().Code)
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}
