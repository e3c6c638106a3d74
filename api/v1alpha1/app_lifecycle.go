package v1alpha1

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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
	// ConditionHookReady: the build hook's Secret has a token. The hook API
	// answers every caller the same 401 whatever is wrong, so this is
	// where the App's owner learns that the Secret is missing.
	ConditionHookReady = "HookReady"
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
	ConditionRolloutSucceeded,
	ConditionBuildSucceeded,
	ConditionHookReady,
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
	// ReasonNotOwned: a child object of that name exists and is not the App's.
	ReasonNotOwned = "NotOwned"
	// ReasonAPIError: the Kubernetes API refused a read or write; knapp
	// retries with backoff.
	ReasonAPIError = "APIError"
)

// Reasons of ServiceReady.
const (
	// ReasonRevisionNotFound: release names a revision that does not exist.
	ReasonRevisionNotFound = "RevisionNotFound"
	// ReasonUnknownEnvironment: the namespace's environment label names an
	// environment the platform does not define.
	ReasonUnknownEnvironment = "UnknownEnvironment"
	// ReasonKnativeConfigInvalid: one of Knative Serving's config maps does
	// not parse, so knapp cannot default a Service as Knative would.
	ReasonKnativeConfigInvalid = "KnativeConfigInvalid"
	// ReasonImageMissing: neither spec.image nor spec.build.
	ReasonImageMissing = "ImageMissing"
	// ReasonWaitingForBuild: spec.build without spec.image, and no build
	// has succeeded yet. Progress, not failure: ServiceReady is Unknown.
	ReasonWaitingForBuild = "WaitingForBuild"
)

// ReasonDomainConflict (DomainReady): another App holds the host this App
// asks for; status.domainConflict names it.
const ReasonDomainConflict = "DomainConflict"

// ReasonHostNotAllowed (DomainReady): the platform's host policy keeps the
// App from the host it asks for (a reserved name, or one its namespace may
// not take); it is served at Knative's namespaced host.
const ReasonHostNotAllowed = "HostNotAllowed"

// ReasonHostServedElsewhere (DomainReady): the App holds its host, but a
// Knative Route that is not the App's serves it too (made past admission,
// for example on a cluster without knapp's policies); requests may reach
// either.
const ReasonHostServedElsewhere = "HostServedElsewhere"

// ReasonRoutesShadowed (RoutesReady): knapp's VirtualService binds the host,
// but another VirtualService binds it on the same gateway too, and Istio
// merges their routes so that the other's answers requests knapp's should.
const ReasonRoutesShadowed = "RoutesShadowed"

// ReasonPullSecretNotFound (ServiceReady): a Secret of
// spec.template.imagePullSecrets does not exist.
const ReasonPullSecretNotFound = "PullSecretNotFound"

// Reasons of BuildSucceeded.
const (
	// ReasonBuildSucceeded: the newest build pushed its image.
	ReasonBuildSucceeded = "Succeeded"
	// ReasonBuilding: the newest build is pending or running.
	ReasonBuilding = "Building"
	// ReasonBuildFailed: the newest build failed; the previous image runs.
	ReasonBuildFailed = "BuildFailed"
	// ReasonInvalidDigest: a succeeded build reported no digest, or not one
	// of the form sha256:<64 lower-case hex digits>.
	ReasonInvalidDigest = "InvalidDigest"
	// ReasonBuildNotAllowed: the platform's build policy does not allow the
	// build's template or image repository; nothing is built.
	ReasonBuildNotAllowed = "BuildNotAllowed"
	// ReasonUntrustedBuild: a Workflow that claims to be one of the App's
	// builds (its labels and owner) is not what knapp makes of spec.build, or
	// was triggered in the future; it is never deployed.
	ReasonUntrustedBuild = "UntrustedBuild"
	// ReasonTemplateNotFound: the build's WorkflowTemplate does not exist.
	ReasonTemplateNotFound = "TemplateNotFound"
	// ReasonSecretNotFound: spec.build.registrySecretName or
	// spec.build.git.secretName does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonGitSecretInvalid: spec.build.git.secretName is not of the type,
	// or lacks a key, that the git URL needs (known_hosts for ssh).
	ReasonGitSecretInvalid = "GitSecretInvalid"
	// ReasonTemplateIncompatible: the build's template does not declare a
	// parameter that spec.build sets.
	ReasonTemplateIncompatible = "TemplateIncompatible"
)

// ReasonEventingNotInstalled (SchedulesReady): the cluster does not serve
// Knative Eventing's PingSource.
const ReasonEventingNotInstalled = "EventingNotInstalled"

// Reasons of LogsReady: the namespace's Pod Security level forbids the
// hostPath volume spec.logs needs, or allows every hostPath (privileged)
// without knapp's policy that keeps the rest of baseline (LabelPodSecurity).
const (
	ReasonPodSecurityBaseline   = "PodSecurityBaseline"
	ReasonPodSecurityRestricted = "PodSecurityRestricted"
	ReasonPodSecurityUnguarded  = "PodSecurityUnguarded"
)

// MarkDomainReady records that the App holds its host.
func (s *AppStatus) MarkDomainReady(host string) {
	s.DomainConflict = nil
	s.setCondition(ConditionDomainReady, metav1.ConditionTrue, ReasonReady, "The App holds the host "+host+".")
}

// MarkDomainConflict records that the App holder, which claimed host
// first, holds it: in DomainReady and, for tools (the update webhook's
// warning), in status.domainConflict.
func (s *AppStatus) MarkDomainConflict(host string, holder types.NamespacedName) {
	s.Domain = nil
	s.DomainConflict = &DomainConflict{Host: host, HeldBy: holder.String()}
	s.setCondition(ConditionDomainReady, metav1.ConditionFalse, ReasonDomainConflict, fmt.Sprintf(
		"The host %s is held by App %s, which claimed it first; this App is served at Knative's namespaced host until that App lets it go. Set spec.domain.name to another name to use one now.",
		host, holder))
}

// MarkHostNotAllowed records that the platform's host policy keeps the App
// from host, saying why.
func (s *AppStatus) MarkHostNotAllowed(host, why string) {
	s.Domain, s.DomainConflict = nil, nil
	s.setCondition(ConditionDomainReady, metav1.ConditionFalse, ReasonHostNotAllowed, fmt.Sprintf(
		"The App may not take the host %s: %s. It is served at Knative's namespaced host meanwhile.", host, why))
}

// MarkHostServedElsewhere records that the App holds host but Knative
// Routes other than its own serve it too (routes, sorted).
func (s *AppStatus) MarkHostServedElsewhere(host string, routes []types.NamespacedName) {
	names := make([]string, len(routes))
	for i, r := range routes {
		names[i] = r.String()
	}
	s.setCondition(ConditionDomainReady, metav1.ConditionFalse, ReasonHostServedElsewhere, fmt.Sprintf(
		"This App holds the host %s, but Knative Route %s, not this App's, serves it too, so requests may reach either; "+
			"a platform admin should delete it (knapp's policy knapp-domain-keys keeps tenants from making such Routes).",
		host, strings.Join(names, ", ")))
}

// NotOwnedMessage is the message of a condition with reason NotOwned: a
// child the App would make already exists and is someone else's; knapp
// never takes it over. remedy says what the user can do.
func NotOwnedMessage(kind string, child types.NamespacedName, remedy string) string {
	return fmt.Sprintf(
		"A %s named %s already exists in namespace %s and does not belong to this App; knapp will not take it over. %s",
		kind, child.Name, child.Namespace, remedy)
}

// MarkAPIError records in conditionType that the Kubernetes API refused a
// read or write the part needs; knapp retries with backoff.
func (s *AppStatus) MarkAPIError(conditionType string, err error) {
	s.setCondition(conditionType, metav1.ConditionFalse, ReasonAPIError, err.Error())
}

// MarkCondition records a part's condition.
func (s *AppStatus) MarkCondition(conditionType string, status metav1.ConditionStatus, reason, message string) {
	s.setCondition(conditionType, status, reason, message)
}

// ClearCondition removes a part's condition, for parts the App no longer asks for.
func (s *AppStatus) ClearCondition(conditionType string) {
	meta.RemoveStatusCondition(&s.Conditions, conditionType)
}

// GetCondition returns the condition of that type, or nil.
func (s *AppStatus) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(s.Conditions, conditionType)
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
