package integration

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// recordedEvent is one event knapp's recorder was asked to emit.
type recordedEvent struct {
	Namespace, Name, Reason string
}

// countingRecorder passes events on and remembers them: the events API
// writes asynchronously, so counting Event objects would race.
type countingRecorder struct {
	events.EventRecorder
	mu     sync.Mutex
	events []recordedEvent
}

func (r *countingRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...interface{}) {
	if m, err := meta.Accessor(regarding); err == nil {
		r.mu.Lock()
		r.events = append(r.events, recordedEvent{Namespace: m.GetNamespace(), Name: m.GetName(), Reason: reason})
		r.mu.Unlock()
	}
	r.EventRecorder.Eventf(regarding, related, eventtype, reason, action, note, args...)
}

// about counts the events emitted so far about the object ns/name.
func (r *countingRecorder) about(ns, name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Namespace == ns && e.Name == name {
			n++
		}
	}
	return n
}

// has tells whether an event with reason was emitted about the object key.
func (r *countingRecorder) has(key client.ObjectKey, reason string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Namespace == key.Namespace && e.Name == key.Name && e.Reason == reason {
			return true
		}
	}
	return false
}
