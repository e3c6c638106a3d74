package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

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
	list := &v1alpha1.AppList{}
	if err := s.client.List(r.Context(), list, client.InNamespace(r.URL.Query().Get("namespace"))); err != nil {
		writeError(w, err)
		return
	}
	apps := viewsOf(list)
	writeJSON(w, http.StatusOK, s.appsView(apps))
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
	stream, ok := startStream(w)
	if !ok || !stream.send("", viewOf(app)) {
		return
	}
	var event string
	follow(r, watcher, 0, func(ev watch.EventType, changed *v1alpha1.App) {
		event, app = "", changed
		if ev == watch.Deleted {
			event = "deleted"
		}
	}, func() bool { return stream.send(event, viewOf(app)) })
}

// listEvery is how often at most a list page's stream sends the list
// again: a person sees no delay, and a namespace whose Apps change many
// times a second costs five lists a second, not one per change.
const listEvery = 200 * time.Millisecond

// watchApps streams the Apps of ?namespace= (or of every namespace the
// caller may list) as server-sent events: the whole list as it is now,
// then again each time one of them changes, comes or goes, from a watch
// that starts at the list's version.
func (s *console) watchApps(w http.ResponseWriter, r *http.Request) {
	ns := r.URL.Query().Get("namespace")
	list := &v1alpha1.AppList{}
	if err := s.client.List(r.Context(), list, client.InNamespace(ns)); err != nil {
		writeError(w, err)
		return
	}
	watcher, err := s.client.Watch(r.Context(), &v1alpha1.AppList{}, client.InNamespace(ns),
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
	if err != nil {
		writeError(w, err)
		return
	}
	defer watcher.Stop()
	apps := viewsOf(list)
	stream, ok := startStream(w)
	if !ok || !stream.send("", s.appsView(apps)) {
		return
	}
	follow(r, watcher, listEvery, func(event watch.EventType, changed *v1alpha1.App) {
		if event == watch.Deleted {
			delete(apps, client.ObjectKeyFromObject(changed))
		} else {
			apps[client.ObjectKeyFromObject(changed)] = viewOf(changed)
		}
	}, func() bool { return stream.send("", s.appsView(apps)) })
}

// viewsOf is each listed App's view, by its key.
func viewsOf(list *v1alpha1.AppList) map[client.ObjectKey]appView {
	apps := make(map[client.ObjectKey]appView, len(list.Items))
	for i := range list.Items {
		apps[client.ObjectKeyFromObject(&list.Items[i])] = viewOf(&list.Items[i])
	}
	return apps
}

// appsView is the list pages' data: the Apps sorted by namespace and name.
func (s *console) appsView(apps map[client.ObjectKey]appView) map[string]any {
	views := make([]appView, 0, len(apps))
	for _, v := range apps {
		views = append(views, v)
	}
	sort.Slice(views, func(i, j int) bool {
		return views[i].Namespace+"/"+views[i].Name < views[j].Namespace+"/"+views[j].Name
	})
	return map[string]any{"namespace": s.namespace, "apps": views}
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
