package app

import (
	"crypto/sha256"
	"encoding/json"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/api/v1alpha1"
)

// statusWrites remembers the last status knapp wrote to each App, so that a
// reconcile that runs before the cache has seen that write (typically one
// woken by the child that same reconcile created) does not write the same
// status again. It keeps a digest and what the metrics compare, not the
// status: with 10,000 Apps, full copies were a good part of knapp's memory.
type statusWrites struct {
	mu   sync.Mutex
	last map[types.NamespacedName]statusWrite
}

type statusWrite struct {
	// fromVersion is the resourceVersion the write was made against: a cached
	// App still at that version has not caught up with the write yet.
	fromVersion string
	// digest is of the status written, its timestamps left out.
	digest [sha256.Size]byte
	// summary is what observeStatusWrite compares: each condition's type,
	// status and reason, and each build's workflow and phase.
	summary v1alpha1.AppStatus
	// rollout is status.rollout as written: a reconcile of an App the cache
	// has not caught up with resumes from it, so it never judges the same
	// interval twice.
	rollout *v1alpha1.RolloutStatus
}

// rolloutWritten is the status.rollout knapp last wrote to the App when the
// cached app predates that write (nil otherwise, or when none was written).
func (w *statusWrites) rolloutWritten(app *v1alpha1.App) (*v1alpha1.RolloutStatus, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.last[types.NamespacedName{Namespace: app.Namespace, Name: app.Name}]
	if !ok || last.fromVersion != app.ResourceVersion {
		return nil, false
	}
	return last.rollout.DeepCopy(), true
}

// alreadyWritten reports whether status is what knapp last wrote to the App
// and the cached app predates that write.
func (w *statusWrites) alreadyWritten(app *v1alpha1.App, status *v1alpha1.AppStatus) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.last[types.NamespacedName{Namespace: app.Namespace, Name: app.Name}]
	return ok && last.fromVersion == app.ResourceVersion && last.digest == statusDigest(status)
}

// statusDigest is a digest of the status without its timestamps; JSON
// writes map keys in order, so equal statuses give equal digests.
func statusDigest(status *v1alpha1.AppStatus) [sha256.Size]byte {
	data, err := json.Marshal(withoutTimestamps(status))
	if err != nil {
		// An AppStatus always marshals; should it not, no two digests match.
		return [sha256.Size]byte{}
	}
	return sha256.Sum256(data)
}

// summary keeps of status what observeStatusWrite compares.
func summary(status *v1alpha1.AppStatus) v1alpha1.AppStatus {
	var out v1alpha1.AppStatus
	for _, c := range status.Conditions {
		out.Conditions = append(out.Conditions, metav1.Condition{Type: c.Type, Status: c.Status, Reason: c.Reason})
	}
	if status.Build != nil {
		out.Build = &v1alpha1.BuildStatus{}
		for _, rec := range status.Build.Builds {
			out.Build.Builds = append(out.Build.Builds, v1alpha1.BuildRecord{Workflow: rec.Workflow, Phase: rec.Phase})
		}
	}
	return out
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
	w.last[types.NamespacedName{Namespace: app.Namespace, Name: app.Name}] = statusWrite{
		fromVersion: fromVersion, digest: statusDigest(&app.Status), summary: summary(&app.Status), rollout: app.Status.Rollout.DeepCopy()}
}

// lastWritten is the summary of the status knapp last wrote to the App, or nil.
func (w *statusWrites) lastWritten(key types.NamespacedName) *v1alpha1.AppStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.last[key]
	if !ok {
		return nil
	}
	// wrote stores a new summary each time, so this one is never changed.
	return &last.summary
}

// forget drops what is remembered of a deleted App.
func (w *statusWrites) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.last, key)
}
