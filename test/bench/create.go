package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CreateResult is the creation of N Apps, by knapp or the baseline.
type CreateResult struct {
	Apps        int `json:"apps"`
	Failed      int `json:"failed"`
	Retries     int `json:"retries"`
	Concurrency int `json:"concurrency"`
	// CreateCall is the App create call alone (admission included).
	CreateCall Dist `json:"create_call"`
	// Converge is per App, from its create call to the watch seeing both
	// its Knative Service and its status with observedGeneration ==
	// generation.
	Converge Dist `json:"converge"`
	// TotalSeconds is from the first create call to the last App converged.
	TotalSeconds float64 `json:"total_seconds"`
	Writes       Writes  `json:"writes"`
	// KnappPerApp is Writes.KnappTotal / Apps; KnappPerAppByResource the same
	// by resource.
	KnappPerApp           float64            `json:"knapp_writes_per_app"`
	KnappPerAppByResource map[string]float64 `json:"knapp_writes_per_app_by_resource"`
	// AllPerApp counts every write per App, its create included: the App
	// create plus knapp's writes, or the baseline's three.
	AllPerApp float64  `json:"all_writes_per_app"`
	Errors    []string `json:"errors,omitempty"`
}

// createPhase creates the plan's Apps with o.Concurrency clients and waits
// until each converged (or o.Timeout passed, or exited closed).
func (s *session) createPhase(ctx context.Context, p plan, o *options, exited <-chan struct{}) (*CreateResult, error) {
	keys := p.keys()
	m, err := s.mark(ctx)
	if err != nil {
		return nil, err
	}
	r := &CreateResult{Apps: len(keys), Concurrency: o.Concurrency}
	var retries atomic.Int64
	s.tr.expect(keys)
	errs := forEach(len(p.apps), o.Concurrency, func(i int) error {
		key := keys[i]
		s.tr.started(key, time.Now())
		n, err := createApp(ctx, s.c, p.apps[i])
		retries.Add(int64(n))
		s.tr.returned(key, time.Now(), err)
		if err != nil {
			return fmt.Errorf("creating App %s: %w", key, err)
		}
		return nil
	})
	waitErr := s.tr.wait(ctx, o.Timeout, exited)
	if waitErr != nil {
		errs = append(errs, waitErr)
	}
	r.Retries = int(retries.Load())
	if err := s.waitQuiet(ctx, m, 2*time.Minute); err != nil {
		return r, err
	}
	if r.Writes, err = s.writesSince(ctx, m); err != nil {
		return r, err
	}
	r.summarise(s.tr.results(keys), errs)
	return r, waitErr
}

func (r *CreateResult) summarise(tracks []appTrack, errs []error) {
	var calls, converge []time.Duration
	var first, last time.Time
	for _, a := range tracks {
		if a.err != nil || !a.converged() {
			r.Failed++
			continue
		}
		calls = append(calls, a.returned.Sub(a.start))
		converge = append(converge, a.convergedAt().Sub(a.start))
		if first.IsZero() || a.start.Before(first) {
			first = a.start
		}
		if a.convergedAt().After(last) {
			last = a.convergedAt()
		}
	}
	r.CreateCall, r.Converge = distOf(calls), distOf(converge)
	r.TotalSeconds = last.Sub(first).Seconds()
	r.KnappPerApp = ratio(r.Writes.KnappTotal, float64(r.Apps))
	r.KnappPerAppByResource = perApp(r.Writes.Knapp, r.Apps)
	var bench float64
	for _, v := range r.Writes.Bench {
		bench += v
	}
	r.AllPerApp = ratio(r.Writes.KnappTotal+bench, float64(r.Apps))
	for i, e := range errs {
		if i == 10 {
			r.Errors = append(r.Errors, fmt.Sprintf("... %d more", len(errs)-10))
			break
		}
		r.Errors = append(r.Errors, e.Error())
	}
}

// createApp creates the App, retrying (up to twice) a create that failed
// on the way, such as an admission webhook timing out on a loaded machine;
// AlreadyExists on a retry means the failed call had created it. It
// returns the number of retries.
func createApp(ctx context.Context, c client.Client, app client.Object) (int, error) {
	var err error
	for attempt := range 3 {
		err = c.Create(ctx, app.DeepCopyObject().(client.Object))
		switch {
		case err == nil, attempt > 0 && apierrors.IsAlreadyExists(err):
			return attempt, nil
		case apierrors.IsInvalid(err), apierrors.IsAlreadyExists(err), ctx.Err() != nil:
			return attempt, err
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	return 2, err
}

// warmUp creates one App in its own namespace and waits until it
// converged: knapp's caches have synced and every webhook connection is
// open before anything is measured. Its writes fall before any mark.
func (s *session) warmUp(ctx context.Context, exited <-chan struct{}) error {
	app := newApp("bench-warmup", "warmup")
	if err := s.createNamespaces(ctx, app.Namespace); err != nil {
		return err
	}
	s.tr.expect([]types.NamespacedName{{Namespace: app.Namespace, Name: app.Name}})
	if _, err := createApp(ctx, s.c, app); err != nil {
		return fmt.Errorf("warm-up App: %w", err)
	}
	if err := s.tr.wait(ctx, 2*time.Minute, exited); err != nil {
		return fmt.Errorf("warm-up App: %w", err)
	}
	return nil
}
