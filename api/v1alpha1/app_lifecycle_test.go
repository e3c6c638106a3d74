package v1alpha1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestComputeReady(t *testing.T) {
	tests := []struct {
		name       string
		mark       func(*AppStatus)
		wantStatus metav1.ConditionStatus
		wantReason string
	}{{
		name:       "nothing reconciled yet",
		mark:       func(*AppStatus) {},
		wantStatus: metav1.ConditionUnknown, wantReason: ReasonDeploying,
	}, {
		name: "service ready",
		mark: func(s *AppStatus) {
			s.MarkCondition(ConditionServiceReady, metav1.ConditionTrue, ReasonReady, "The Knative Service is ready.")
		},
		wantStatus: metav1.ConditionTrue, wantReason: ReasonReady,
	}, {
		name: "service deploying",
		mark: func(s *AppStatus) {
			s.MarkCondition(ConditionServiceReady, metav1.ConditionUnknown, ReasonDeploying, "rolling out")
		},
		wantStatus: metav1.ConditionUnknown, wantReason: ReasonDeploying,
	}, {
		name: "a false part wins over an unknown one, in order",
		mark: func(s *AppStatus) {
			s.MarkCondition(ConditionServiceReady, metav1.ConditionUnknown, ReasonDeploying, "rolling out")
			s.MarkCondition(ConditionLogsReady, metav1.ConditionFalse, "PodSecurityBaseline", "namespace forbids hostPath")
			s.MarkCondition(ConditionBuildSucceeded, metav1.ConditionFalse, "BuildFailed", "exit code 1")
		},
		wantStatus: metav1.ConditionFalse, wantReason: "BuildFailed",
	}, {
		name: "service refused",
		mark: func(s *AppStatus) {
			s.MarkCondition(ConditionServiceReady, metav1.ConditionFalse, ReasonRevisionNotFound, "spec.release.stable: gone")
		},
		wantStatus: metav1.ConditionFalse, wantReason: ReasonRevisionNotFound,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s AppStatus
			tc.mark(&s)
			s.ComputeReady(7)
			ready := s.GetCondition(ConditionReady)
			if ready == nil || ready.Status != tc.wantStatus || ready.Reason != tc.wantReason {
				t.Fatalf("Ready = %+v, want %s/%s", ready, tc.wantStatus, tc.wantReason)
			}
			if s.ObservedGeneration != 7 {
				t.Errorf("observedGeneration = %d, want 7", s.ObservedGeneration)
			}
			for _, c := range s.Conditions {
				if c.ObservedGeneration != 7 {
					t.Errorf("condition %s observedGeneration = %d, want 7", c.Type, c.ObservedGeneration)
				}
			}
		})
	}
}

func TestReadyFalseCarriesThePartMessage(t *testing.T) {
	var s AppStatus
	s.MarkCondition(ConditionServiceReady, metav1.ConditionFalse, ReasonRevisionNotFound, `spec.release.stable: revision "shop-x" does not exist`)
	s.ComputeReady(1)
	if got := s.GetCondition(ConditionReady).Message; got != `spec.release.stable: revision "shop-x" does not exist` {
		t.Errorf("Ready message = %q", got)
	}
}

func TestMarkingTheSameStateKeepsTransitionTime(t *testing.T) {
	var s AppStatus
	s.MarkCondition(ConditionServiceReady, metav1.ConditionTrue, ReasonReady, "The Knative Service is ready.")
	s.ComputeReady(1)
	first := s.GetCondition(ConditionReady).LastTransitionTime
	s.Conditions[0].LastTransitionTime = metav1.NewTime(first.Add(-3600e9))
	kept := s.Conditions[0].LastTransitionTime
	s.MarkCondition(ConditionServiceReady, metav1.ConditionTrue, ReasonReady, "The Knative Service is ready.")
	if got := s.GetCondition(s.Conditions[0].Type).LastTransitionTime; !got.Equal(&kept) {
		t.Errorf("re-marking the same status moved lastTransitionTime from %v to %v", kept, got)
	}
}

func TestClearCondition(t *testing.T) {
	var s AppStatus
	s.MarkCondition(ConditionLogsReady, metav1.ConditionTrue, ReasonReady, "mounted")
	s.ClearCondition(ConditionLogsReady)
	if s.GetCondition(ConditionLogsReady) != nil {
		t.Error("LogsReady still present after ClearCondition")
	}
}
