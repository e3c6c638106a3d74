package progressive

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
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
					if s := &list.Items[i]; s.Status.ObservedGeneration != s.Generation || s.Status.URL == nil || s.Status.URL.Host != knativeHost(s) {
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
	now := apis.VolatileTime{Inner: metav1.Now()}
	s.Status.ObservedGeneration = s.Generation
	s.Status.URL = apis.HTTP(knativeHost(s))
	s.Status.LatestCreatedRevisionName = s.Spec.Template.Name
	s.Status.LatestReadyRevisionName = s.Spec.Template.Name
	s.Status.Traffic = nil
	for _, tt := range s.Spec.Traffic {
		resolved := *tt.DeepCopy()
		if tt.LatestRevision != nil && *tt.LatestRevision {
			resolved.RevisionName = s.Spec.Template.Name
		}
		s.Status.Traffic = append(s.Status.Traffic, resolved)
	}
	s.Status.Conditions = duckv1.Conditions{
		{Type: apis.ConditionReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: servingv1.ServiceConditionRoutesReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	_ = k8s.Status().Update(ctx, s)
}

// knativeHost is the host Knative gives the Service: the platform's, or the
// cluster-local one.
func knativeHost(s *servingv1.Service) string {
	if s.Labels["networking.knative.dev/visibility"] == "cluster-local" {
		return s.Name + "." + s.Namespace + ".svc.cluster.local"
	}
	return s.Annotations[v1alpha1.AnnotationHost] + ".sls-local.knapp.example.com"
}
