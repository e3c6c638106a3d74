package progressive

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/test/testenv"
)

// actAsKnative plays Knative Serving's controllers for the namespace until
// the test ends: each Service generation gets its template's Revision and
// the status Knative would write (ready, its URL, the traffic resolved), so
// the revision knapp rolls out becomes the latest ready one; a change of
// visibility (a label: no new generation) changes the URL, as Knative's
// Route does.
func actAsKnative(t testing.TB, ns string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			list := &servingv1.ServiceList{}
			if err := k8s.List(ctx, list, client.InNamespace(ns)); err == nil {
				for i := range list.Items {
					if s := &list.Items[i]; s.Status.ObservedGeneration != s.Generation || s.Status.URL == nil || s.Status.URL.Host != testenv.KnativeHost(s) {
						reportReady(ctx, s)
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
func reportReady(ctx context.Context, s *servingv1.Service) {
	if err := k8s.Create(ctx, testenv.RevisionOf(s)); err != nil && !apierrors.IsAlreadyExists(err) {
		return
	}
	testenv.SetKnativeStatus(s)
	testenv.KnativeReady(s)
	_ = k8s.Status().Update(ctx, s)
}
