package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// appTrack is one App's way from its create call to converged.
type appTrack struct {
	start    time.Time // the create call was made
	returned time.Time // it returned
	service  time.Time // the watch saw its Knative Service
	status   time.Time // the watch saw status.observedGeneration == generation
	err      error     // the create failed
	counted  bool
}

func (a *appTrack) converged() bool { return !a.service.IsZero() && !a.status.IsZero() }

// convergedAt is when the last of the two was seen.
func (a *appTrack) convergedAt() time.Time {
	if a.service.After(a.status) {
		return a.service
	}
	return a.status
}

// tracker records, from watch events, when each App converged and when
// knapp's VirtualServices show a match value. Event handlers run on the
// informers' goroutines; a timestamp is taken when the event is handled.
type tracker struct {
	mu        sync.Mutex
	apps      map[types.NamespacedName]*appTrack
	remaining int
	allDone   chan struct{}
	// onAppAdded, if set, is called for every App the watch sees created:
	// the baseline's trigger.
	onAppAdded func(*v1alpha1.App)
	vsWant     map[types.NamespacedName]vsWaiter
}

type vsWaiter struct {
	value string
	seen  chan time.Time
}

func newTracker() *tracker {
	return &tracker{apps: map[types.NamespacedName]*appTrack{}, vsWant: map[types.NamespacedName]vsWaiter{}}
}

// expect starts a batch: wait returns once each of keys converged or failed.
func (t *tracker) expect(keys []types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remaining = len(keys)
	t.allDone = make(chan struct{})
	for _, k := range keys {
		t.apps[k] = &appTrack{}
	}
	if t.remaining == 0 {
		close(t.allDone)
	}
}

func (t *tracker) track(k types.NamespacedName) *appTrack {
	a := t.apps[k]
	if a == nil {
		a = &appTrack{counted: true} // not in a batch: nothing waits for it
		t.apps[k] = a
	}
	return a
}

// settle counts a tracked App as done once it converged or failed.
func (t *tracker) settle(a *appTrack) {
	if a.counted || (!a.converged() && a.err == nil) {
		return
	}
	a.counted = true
	if t.remaining--; t.remaining == 0 {
		close(t.allDone)
	}
}

func (t *tracker) started(k types.NamespacedName, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.track(k).start = at
}

func (t *tracker) returned(k types.NamespacedName, at time.Time, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.track(k)
	a.returned, a.err = at, err
	t.settle(a)
}

func (t *tracker) appSeen(app *v1alpha1.App, added bool) {
	now := time.Now()
	if added && t.onAppAdded != nil {
		t.onAppAdded(app)
	}
	if app.Generation == 0 || app.Status.ObservedGeneration != app.Generation {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.track(types.NamespacedName{Namespace: app.Namespace, Name: app.Name})
	if a.status.IsZero() {
		a.status = now
		t.settle(a)
	}
}

// serviceSeen: the Knative Service is the App's by name (knapp names it
// after the App).
func (t *tracker) serviceSeen(svc *servingv1.Service) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.track(types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name})
	if a.service.IsZero() {
		a.service = now
		t.settle(a)
	}
}

// wait waits for the batch, at most timeout, and fails early if exited is
// closed (knapp died).
func (t *tracker) wait(ctx context.Context, timeout time.Duration, exited <-chan struct{}) error {
	t.mu.Lock()
	done := t.allDone
	t.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-exited:
		return errors.New("knapp exited")
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		t.mu.Lock()
		defer t.mu.Unlock()
		return fmt.Errorf("%d App(s) did not converge within %s", t.remaining, timeout)
	}
}

// results are the tracks of keys, copied.
func (t *tracker) results(keys []types.NamespacedName) []appTrack {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]appTrack, 0, len(keys))
	for _, k := range keys {
		if a := t.apps[k]; a != nil {
			out = append(out, *a)
		}
	}
	return out
}

// expectMatch registers, before the edit that should cause it, a wait for
// the VirtualService key to carry value as its first header match.
func (t *tracker) expectMatch(key types.NamespacedName, value string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.vsWant[key] = vsWaiter{value: value, seen: ch}
	return ch
}

func (t *tracker) virtualServiceSeen(vs *istiov1.VirtualService) {
	now := time.Now()
	key := types.NamespacedName{Namespace: vs.Namespace, Name: vs.Name}
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.vsWant[key]
	if ok && headerMatch(vs) == w.value {
		w.seen <- now
		delete(t.vsWant, key)
	}
}

// headerMatch is the exact value of the first header match of the first
// route: where knapp puts the App's first canary match rule.
func headerMatch(vs *istiov1.VirtualService) string {
	for _, r := range vs.Spec.Http {
		for _, m := range r.Match {
			for _, h := range m.Headers {
				return h.GetExact()
			}
		}
	}
	return ""
}
