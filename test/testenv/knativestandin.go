package testenv

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ActAsKnative plays Knative Serving's controllers for the namespace until
// the test ends, for tests that run none: each Service generation gets its
// template's Revision and the status Knative would write (SetKnativeStatus,
// KnativeReady), so the revision knapp makes becomes the latest ready one;
// a change of visibility (a label: no new generation) changes the URL, as
// Knative's Route does.
func ActAsKnative(t testing.TB, c client.Client, ns string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			list := &servingv1.ServiceList{}
			if err := c.List(ctx, list, client.InNamespace(ns)); err == nil {
				for i := range list.Items {
					if s := &list.Items[i]; s.Status.ObservedGeneration != s.Generation || s.Status.URL == nil || s.Status.URL.Host != KnativeHost(s) {
						reportReady(ctx, c, s)
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
}

// reportReady creates the Service's revision and writes its status; a
// conflict is retried by the next round.
func reportReady(ctx context.Context, c client.Client, s *servingv1.Service) {
	if err := c.Create(ctx, RevisionOf(s)); err != nil && !apierrors.IsAlreadyExists(err) {
		return
	}
	SetKnativeStatus(s)
	KnativeReady(s)
	_ = c.Status().Update(ctx, s)
}
