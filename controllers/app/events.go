package app

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// Event reasons for writes knapp makes.
const (
	eventCreated      = "Created"
	eventUpdated      = "Updated"
	eventDeleted      = "Deleted"
	eventRemoved      = "ConditionRemoved"
	actionCreateChild = "Create"
	actionUpdateChild = "Update"
	actionDeleteChild = "Delete"
)

// recordConditionChanges emits one event for each part condition whose
// status, reason or message changed: Warning when it turned False, Normal
// otherwise; and a Normal one for each part condition removed (the App no
// longer asks for that part). Events follow state changes, so a steady App
// emits none.
func (r *Reconciler) recordConditionChanges(app *v1alpha1.App, before []metav1.Condition) {
	for _, old := range before {
		if old.Type != v1alpha1.ConditionReady && app.Status.GetCondition(old.Type) == nil {
			r.Recorder.Eventf(app, nil, corev1.EventTypeNormal, eventRemoved, old.Type,
				"%s: removed, the App no longer asks for this part (it was %s, %s)", old.Type, old.Status, old.Reason)
		}
	}
	for _, c := range app.Status.Conditions {
		if c.Type == v1alpha1.ConditionReady {
			continue
		}
		old := meta.FindStatusCondition(before, c.Type)
		if old != nil && old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			continue
		}
		eventType := corev1.EventTypeNormal
		if c.Status == metav1.ConditionFalse {
			eventType = corev1.EventTypeWarning
		}
		// The action is the condition: the events API folds events of one
		// object with the same reason and action into a series that keeps
		// the first note, so DomainReady's and LogsReady's "Ready" must not
		// share one.
		r.Recorder.Eventf(app, nil, eventType, c.Reason, c.Type, "%s: %s", c.Type, c.Message)
	}
}
