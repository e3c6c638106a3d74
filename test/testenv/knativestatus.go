package testenv

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// SetKnativeStatus writes into s the status Knative's controllers report
// for its current generation, for tests that run no Knative controller:
// its URL (KnativeHost), its template's revision as the latest created
// and ready one, and its traffic with "latest" resolved to that revision.
// The conditions are the caller's (KnativeReady).
func SetKnativeStatus(s *servingv1.Service) {
	s.Status.ObservedGeneration = s.Generation
	s.Status.URL = apis.HTTP(KnativeHost(s))
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
}

// KnativeReady sets the conditions Knative reports for a Service whose
// revision is ready and whose routes serve its URL.
func KnativeReady(s *servingv1.Service) {
	now := apis.VolatileTime{Inner: metav1.Now()}
	s.Status.Conditions = duckv1.Conditions{
		{Type: apis.ConditionReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: servingv1.ServiceConditionRoutesReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
}

// KnativeHost is the host Knative gives a Service under knapp's built-in
// platform config (config-domain and domain-template, pkg/knativedomain):
// the cluster-local one, or the App's host label under sls-local.
func KnativeHost(s *servingv1.Service) string {
	if s.Labels["networking.knative.dev/visibility"] == "cluster-local" {
		return s.Name + "." + s.Namespace + ".svc.cluster.local"
	}
	if host := s.Annotations[v1alpha1.AnnotationHost]; host != "" {
		return host + ".sls-local.knapp.example.com"
	}
	return s.Name + "." + s.Namespace + ".sls-local.knapp.example.com"
}
