package app

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// copyServiceStatus copies the revisions and traffic Knative reports about
// the Service into the App's status. The traffic is what Knative routes
// now, whatever generation it observed.
func copyServiceStatus(status *v1alpha1.AppStatus, ksvc *servingv1.Service) {
	status.LatestCreatedRevisionName = ksvc.Status.LatestCreatedRevisionName
	status.LatestReadyRevisionName = ksvc.Status.LatestReadyRevisionName
	propagateTraffic(status, ksvc.Status.Traffic)
}

// serviceURL is the URL Knative reports for the Service, or "".
func serviceURL(ksvc *servingv1.Service) string {
	if ksvc.Status.URL == nil {
		return ""
	}
	return ksvc.Status.URL.String()
}

// serviceCondition is ServiceReady as Knative reports the Service: its
// readiness once Knative has observed the Service's current generation;
// before that the App is Deploying.
func serviceCondition(ksvc *servingv1.Service) outcome {
	if ksvc.Status.ObservedGeneration != ksvc.Generation {
		return progressing(v1alpha1.ReasonDeploying, fmt.Sprintf(
			"Waiting for Knative to roll out generation %d of Knative Service %s.", ksvc.Generation, ksvc.Name))
	}
	cond := ksvc.Status.GetCondition(apis.ConditionReady)
	switch {
	case cond == nil:
		return progressing(v1alpha1.ReasonDeploying, fmt.Sprintf(
			"Knative has not reported the readiness of Knative Service %s yet.", ksvc.Name))
	case cond.IsTrue():
		return ready("The Knative Service is ready.")
	case cond.IsFalse():
		return outcome{status: metav1.ConditionFalse, reason: knativeReason(cond), message: knativeMessage(ksvc, cond)}
	default:
		return progressing(knativeReason(cond), knativeMessage(ksvc, cond))
	}
}
func propagateTraffic(status *v1alpha1.AppStatus, traffic []servingv1.TrafficTarget) {
	status.Traffic = nil
	status.StableRevision, status.CanaryRevision, status.CanaryPercent = "", "", nil
	for _, t := range traffic {
		out := v1alpha1.TrafficTarget{
			RevisionName:   t.RevisionName,
			LatestRevision: t.LatestRevision,
			Percent:        t.Percent,
			Tag:            t.Tag,
		}
		if t.URL != nil {
			out.URL = t.URL.String()
		}
		status.Traffic = append(status.Traffic, out)
		switch {
		case t.Tag == resources.CanaryTag:
			status.CanaryRevision, status.CanaryPercent = t.RevisionName, t.Percent
		case t.Tag == "" && status.StableRevision == "":
			// Named tags (spec.release.tags) take no share: not the stable.
			status.StableRevision = t.RevisionName
		}
	}
}

func knativeReason(cond *apis.Condition) string {
	if cond.Reason != "" {
		return cond.Reason
	}
	return v1alpha1.ReasonDeploying
}

func knativeMessage(ksvc *servingv1.Service, cond *apis.Condition) string {
	if cond.Message == "" {
		return fmt.Sprintf("Knative Service %s is not ready.", ksvc.Name)
	}
	return fmt.Sprintf("Knative Service %s: %s", ksvc.Name, cond.Message)
}
