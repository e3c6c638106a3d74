package app

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"knative.dev/pkg/ptr"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

func knativeService(generation, observed int64, ready corev1.ConditionStatus) *servingv1.Service {
	ksvc := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "shop", Generation: generation}}
	ksvc.Status.ObservedGeneration = observed
	ksvc.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: ready, Reason: "RevisionMissing", Message: "Configuration \"shop\" does not have any ready Revision."}}
	ksvc.Status.URL = apis.HTTP("shop.sls-local.knapp.example.com")
	ksvc.Status.LatestCreatedRevisionName = "shop-b"
	ksvc.Status.LatestReadyRevisionName = "shop-a"
	ksvc.Status.Traffic = []servingv1.TrafficTarget{
		{RevisionName: "shop-a", Percent: ptr.Int64(90), LatestRevision: ptr.Bool(false)},
		{RevisionName: "shop-b", Percent: ptr.Int64(10), Tag: "canary", URL: apis.HTTP("canary-shop.sls-local.knapp.example.com")},
	}
	return ksvc
}

func TestReportService(t *testing.T) {
	tests := []struct {
		name       string
		ksvc       *servingv1.Service
		wantStatus metav1.ConditionStatus
		wantReason string
	}{
		{"ready", knativeService(2, 2, corev1.ConditionTrue), metav1.ConditionTrue, v1alpha1.ReasonReady},
		{"failed", knativeService(2, 2, corev1.ConditionFalse), metav1.ConditionFalse, "RevisionMissing"},
		{"in progress", knativeService(2, 2, corev1.ConditionUnknown), metav1.ConditionUnknown, "RevisionMissing"},
		// Knative's Ready of an older generation says nothing of this one.
		{"not observed yet", knativeService(3, 2, corev1.ConditionTrue), metav1.ConditionUnknown, v1alpha1.ReasonDeploying},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := &v1alpha1.App{}
			st := &state{app: app}
			report(&app.Status, v1alpha1.ConditionServiceReady, reportService(st, tc.ksvc), nil)
			(&Reconciler{}).summarize(st)
			s := app.Status
			c := s.GetCondition(v1alpha1.ConditionServiceReady)
			if c == nil || c.Status != tc.wantStatus || c.Reason != tc.wantReason {
				t.Fatalf("ServiceReady = %+v, want %s/%s", c, tc.wantStatus, tc.wantReason)
			}
			if s.URL != "http://shop.sls-local.knapp.example.com" || s.LatestCreatedRevisionName != "shop-b" || s.LatestReadyRevisionName != "shop-a" {
				t.Errorf("url/revisions not copied: %+v", s)
			}
			if s.StableRevision != "shop-a" || s.CanaryRevision != "shop-b" || s.CanaryPercent == nil || *s.CanaryPercent != 10 {
				t.Errorf("stable/canary = %q/%q/%v", s.StableRevision, s.CanaryRevision, s.CanaryPercent)
			}
			if len(s.Traffic) != 2 || s.Traffic[1].URL != "http://canary-shop.sls-local.knapp.example.com" {
				t.Errorf("traffic = %+v", s.Traffic)
			}
		})
	}
}
