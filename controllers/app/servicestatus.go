package app

import (
	"fmt"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// propagateServiceStatus copies what Knative reports about the Service into
// the App's status. Readiness is copied only once Knative has observed the
// Service's current generation; before that the App is Deploying. The
// traffic is what Knative routes now, so it is copied either way.
func propagateServiceStatus(status *v1alpha1.AppStatus, ksvc *servingv1.Service) {
	status.URL = ""
	if ksvc.Status.URL != nil {
		status.URL = ksvc.Status.URL.String()
	}
	status.LatestCreatedRevisionName = ksvc.Status.LatestCreatedRevisionName
	status.LatestReadyRevisionName = ksvc.Status.LatestReadyRevisionName
	propagateTraffic(status, ksvc.Status.Traffic)

	if ksvc.Status.ObservedGeneration != ksvc.Generation {
		status.MarkServiceUnknown(v1alpha1.ReasonDeploying, fmt.Sprintf(
			"Waiting for Knative to roll out generation %d of Knative Service %s.", ksvc.Generation, ksvc.Name))
		return
	}
	cond := ksvc.Status.GetCondition(apis.ConditionReady)
	switch {
	case cond == nil:
		status.MarkServiceUnknown(v1alpha1.ReasonDeploying, fmt.Sprintf(
			"Knative has not reported the readiness of Knative Service %s yet.", ksvc.Name))
	case cond.IsTrue():
		status.MarkServiceReady()
	case cond.IsFalse():
		status.MarkServiceNotReady(knativeReason(cond), knativeMessage(ksvc, cond))
	default:
		status.MarkServiceUnknown(knativeReason(cond), knativeMessage(ksvc, cond))
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
		case status.StableRevision == "":
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
