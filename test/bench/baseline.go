package main

import (
	"context"
	"fmt"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	"knapp.dev/knapp/pkg/resources/names"
)

// baseline is the floor knapp is measured against: a plain client that,
// for each App the watch sees created, writes what knapp writes for it (the
// Knative Service from knapp's own pure builders, then one status write
// with the current observedGeneration), with knapp's reconcile concurrency.
// It reads nothing, compares nothing, records no events and runs neither
// Knative's defaulting nor its validation in-process.
type baseline struct {
	c      client.Client
	cfg    platform.Config
	queue  chan *v1alpha1.App
	errors atomic.Int64
	first  atomic.Value // the first error, for the report
}

// startBaseline starts workers that take Apps from the watch. queueSize
// must hold every App the run creates: the watch's handler never blocks.
func startBaseline(ctx context.Context, s *session, workers, queueSize int) *baseline {
	b := &baseline{c: s.c, cfg: platform.Default(), queue: make(chan *v1alpha1.App, queueSize)}
	s.tr.onAppAdded = func(app *v1alpha1.App) { b.queue <- app.DeepCopy() }
	for range max(1, workers) {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case app := <-b.queue:
					if err := b.write(ctx, app); err != nil {
						b.errors.Add(1)
						b.first.CompareAndSwap(nil, err.Error())
					}
				}
			}
		}()
	}
	return b
}

func (b *baseline) write(ctx context.Context, app *v1alpha1.App) error {
	// Namespaces carry no environment label: knapp finds Environment{} too.
	tmpl, err := resources.MakeRevisionTemplate(app, platform.Environment{}, "")
	if err != nil {
		return err
	}
	plan, err := resources.PlanRelease(app.Spec.Release, sets.New(tmpl.Name))
	if err != nil {
		return err
	}
	svc := resources.MakeKnativeService(app, tmpl, plan, resources.ServiceRouting{HoldsHost: true})
	if err := b.c.Create(ctx, svc); err != nil {
		return fmt.Errorf("creating Knative Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	// The status knapp writes first, before Knative reports on the Service.
	before := app.DeepCopy()
	host := names.ExternalHost(app, b.cfg)
	app.Status.Domain = &v1alpha1.DomainStatus{Host: host, ClaimedAt: metav1.Now()}
	app.Status.MarkDomainReady(host)
	app.Status.MarkCondition(v1alpha1.ConditionServiceReady, metav1.ConditionUnknown, v1alpha1.ReasonDeploying, "Waiting for Knative to roll out generation 1 of Knative Service "+svc.Name+".")
	app.Status.ComputeReady(app.Generation)
	if err := b.c.Status().Patch(ctx, app, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("writing the status of App %s/%s: %w", app.Namespace, app.Name, err)
	}
	return nil
}

func (b *baseline) err() error {
	if n := b.errors.Load(); n > 0 {
		return fmt.Errorf("the baseline failed %d App(s), first: %v", n, b.first.Load())
	}
	return nil
}
