package app

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/api/v1alpha1"
)

// statusWrites remembers the last status knapp wrote to each App, so that a
// reconcile that runs before the cache has seen that write (typically one
// woken by the child that same reconcile created) does not write the same
// status again.
type statusWrites struct {
	mu   sync.Mutex
	last map[types.NamespacedName]statusWrite
}

type statusWrite struct {
	// fromVersion is the resourceVersion the write was made against: a cached
	// App still at that version has not caught up with the write yet.
	fromVersion string
	status      v1alpha1.AppStatus
}

// alreadyWritten reports whether status is what knapp last wrote to the App
// and the cached app predates that write.
func (w *statusWrites) alreadyWritten(app *v1alpha1.App, status *v1alpha1.AppStatus) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.last[types.NamespacedName{Namespace: app.Namespace, Name: app.Name}]
	return ok && last.fromVersion == app.ResourceVersion && equality.Semantic.DeepEqual(withoutTimestamps(&last.status), withoutTimestamps(status))
}

// withoutTimestamps drops the times a reconcile stamps as "now" (condition
// transitions, the domain claim): computed from a stale App they differ
// from those of the write they repeat.
func withoutTimestamps(status *v1alpha1.AppStatus) *v1alpha1.AppStatus {
	out := status.DeepCopy()
	for i := range out.Conditions {
		out.Conditions[i].LastTransitionTime = metav1.Time{}
	}
	if out.Domain != nil {
		out.Domain.ClaimedAt = metav1.Time{}
	}
	return out
}

// wrote records a status written against the App at fromVersion.
func (w *statusWrites) wrote(app *v1alpha1.App, fromVersion string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[types.NamespacedName]statusWrite{}
	}
	w.last[types.NamespacedName{Namespace: app.Namespace, Name: app.Name}] = statusWrite{fromVersion: fromVersion, status: *app.Status.DeepCopy()}
}

// lastWritten is the status knapp last wrote to the App, or nil.
func (w *statusWrites) lastWritten(key types.NamespacedName) *v1alpha1.AppStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.last[key]
	if !ok {
		return nil
	}
	// wrote stores a new deep copy each time, so this one is never changed.
	return &last.status
}

// forget drops what is remembered of a deleted App.
func (w *statusWrites) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.last, key)
}
