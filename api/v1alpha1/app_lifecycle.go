package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition types. Ready is derived from the others: it is True when every
// part the App asks for is True.
const (
	// ConditionReady summarises the App.
	ConditionReady = "Ready"
	// ConditionServiceReady: the Knative Service is as the App asks and
	// Knative reports it ready.
	ConditionServiceReady = "ServiceReady"
	// ConditionDomainReady: the App holds its external host.
	ConditionDomainReady = "DomainReady"
	// ConditionRoutesReady: the Istio routes for canary match rules.
	ConditionRoutesReady = "RoutesReady"
	// ConditionBuildSucceeded: the last build from git.
	ConditionBuildSucceeded = "BuildSucceeded"
	// ConditionLogsReady: host-path log collection.
	ConditionLogsReady = "LogsReady"
	// ConditionSchedulesReady: the cron schedules.
	ConditionSchedulesReady = "SchedulesReady"
)

// partConditions are the conditions Ready is derived from, in the order a
// failing one is reported.
var partConditions = []string{
	ConditionServiceReady,
	ConditionDomainReady,
	ConditionRoutesReady,
	ConditionBuildSucceeded,
	ConditionLogsReady,
	ConditionSchedulesReady,
}

// Reasons shared by several conditions.
const (
	// ReasonReady: the part is as asked.
	ReasonReady = "Ready"
	// ReasonDeploying: knapp wrote the change and waits for Knative to act.
	ReasonDeploying = "Deploying"
	// ReasonInvalidSpec: the spec cannot become a valid child object.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonRevisionNotFound: release names a revision that does not exist.
	ReasonRevisionNotFound = "RevisionNotFound"
	// ReasonUnknownEnvironment: the namespace's environment label names an
	// environment the platform does not define.
	ReasonUnknownEnvironment = "UnknownEnvironment"
	// ReasonKnativeConfigInvalid: one of Knative Serving's config maps does
	// not parse, so knapp cannot default a Service as Knative would.
	ReasonKnativeConfigInvalid = "KnativeConfigInvalid"
	// ReasonNotOwned: a child object of that name exists and is not the App's.
	ReasonNotOwned = "NotOwned"
	// ReasonAPIError: the Kubernetes API refused a read or write.
	ReasonAPIError = "APIError"
	// ReasonDomainConflict: another App holds the host this App asks for.
	ReasonDomainConflict = "DomainConflict"
	// ReasonNotRouted: the release has no match rules, so Knative's own
	// routes serve the App and knapp keeps no VirtualService.
	ReasonNotRouted = "NotRouted"
)

// MarkServiceReady records that the Knative Service is ready.
func (s *AppStatus) MarkServiceReady() {
	s.setCondition(ConditionServiceReady, metav1.ConditionTrue, ReasonReady, "The Knative Service is ready.")
}

// MarkServiceNotReady records why the Knative Service is not ready.
func (s *AppStatus) MarkServiceNotReady(reason, message string) {
	s.setCondition(ConditionServiceReady, metav1.ConditionFalse, reason, message)
}

// MarkServiceUnknown records that the Knative Service's readiness is not
// known yet, such as while Knative rolls out a change.
func (s *AppStatus) MarkServiceUnknown(reason, message string) {
	s.setCondition(ConditionServiceReady, metav1.ConditionUnknown, reason, message)
}

// MarkDomainReady records that the App holds its host.
func (s *AppStatus) MarkDomainReady(host string) {
	s.setCondition(ConditionDomainReady, metav1.ConditionTrue, ReasonReady, "The App holds the host "+host+".")
}

// MarkDomainConflict records that another App holds the host.
func (s *AppStatus) MarkDomainConflict(message string) {
	s.setCondition(ConditionDomainReady, metav1.ConditionFalse, ReasonDomainConflict, message)
}

// MarkDomainError records that knapp could not tell who holds the host.
func (s *AppStatus) MarkDomainError(message string) {
	s.setCondition(ConditionDomainReady, metav1.ConditionUnknown, ReasonAPIError, message)
}

// MarkRoutes records the state of the App's Istio routes.
func (s *AppStatus) MarkRoutes(status metav1.ConditionStatus, reason, message string) {
	s.setCondition(ConditionRoutesReady, status, reason, message)
}

// MarkBuild records the state of the App's builds.
func (s *AppStatus) MarkBuild(status metav1.ConditionStatus, reason, message string) {
	s.setCondition(ConditionBuildSucceeded, status, reason, message)
}

// MarkSchedules records the state of the App's schedules.
func (s *AppStatus) MarkSchedules(status metav1.ConditionStatus, reason, message string) {
	s.setCondition(ConditionSchedulesReady, status, reason, message)
}

// MarkLogs records whether the App's pods can get their log directory.
func (s *AppStatus) MarkLogs(status metav1.ConditionStatus, reason, message string) {
	s.setCondition(ConditionLogsReady, status, reason, message)
}

// ClearCondition removes a part's condition, for parts the App no longer asks for.
func (s *AppStatus) ClearCondition(conditionType string) {
	meta.RemoveStatusCondition(&s.Conditions, conditionType)
}

// GetCondition returns the condition of that type, or nil.
func (s *AppStatus) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(s.Conditions, conditionType)
}

// IsReady reports whether the Ready condition is True.
func (s *AppStatus) IsReady() bool {
	return meta.IsStatusConditionTrue(s.Conditions, ConditionReady)
}

// ComputeReady derives Ready from the part conditions present: False with
// the first failing part's reason, else Unknown with the first unknown
// part's, else True. It stamps every condition with the generation it
// describes and sets observedGeneration.
func (s *AppStatus) ComputeReady(generation int64) {
	var firstFalse, firstUnknown *metav1.Condition
	for _, t := range partConditions {
		c := s.GetCondition(t)
		switch {
		case c == nil:
		case c.Status == metav1.ConditionFalse && firstFalse == nil:
			firstFalse = c
		case c.Status == metav1.ConditionUnknown && firstUnknown == nil:
			firstUnknown = c
		}
	}
	switch {
	case firstFalse != nil:
		s.setCondition(ConditionReady, metav1.ConditionFalse, firstFalse.Reason, firstFalse.Message)
	case firstUnknown != nil:
		s.setCondition(ConditionReady, metav1.ConditionUnknown, firstUnknown.Reason, firstUnknown.Message)
	case s.GetCondition(ConditionServiceReady) == nil:
		s.setCondition(ConditionReady, metav1.ConditionUnknown, ReasonDeploying, "knapp has not reconciled this App yet.")
	default:
		s.setCondition(ConditionReady, metav1.ConditionTrue, ReasonReady, "The App is ready.")
	}
	for i := range s.Conditions {
		s.Conditions[i].ObservedGeneration = generation
	}
	s.ObservedGeneration = generation
}

func (s *AppStatus) setCondition(conditionType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{
		Type:    conditionType,
		Status:  status,
		Reason:  reason,
		Message: message,
	})
}
