package app

import (
	"context"
	"fmt"

	"knapp.dev/knapp/api/v1alpha1"
)

// podSecurityEnforceLabel is the Pod Security admission label of a namespace.
const podSecurityEnforceLabel = "pod-security.kubernetes.io/enforce"

// Reasons of LogsReady for namespaces whose Pod Security level forbids
// hostPath volumes.
var podSecurityReasons = map[string]string{
	"baseline":   v1alpha1.ReasonPodSecurityBaseline,
	"restricted": v1alpha1.ReasonPodSecurityRestricted,
}

// reconcileLogs reports whether the App's pods can get their log
// directory: the Pod Security Standards' baseline and restricted levels
// forbid hostPath volumes, so in such a namespace the pods knapp's webhook
// gives one would be refused, and the App would never start.
func (r *Reconciler) reconcileLogs(_ context.Context, s *state) (outcome, error) {
	if s.app.Spec.Logs == nil {
		return cleared, nil
	}
	if s.observed.namespaceErr != nil {
		return outcome{}, s.observed.namespaceErr
	}
	return logsCondition(s.app, s.observed.namespace.Labels, r.Platform.LogRoot)
}

// logsCondition decides LogsReady from the namespace's labels.
func logsCondition(app *v1alpha1.App, nsLabels map[string]string, logRoot string) (outcome, error) {
	level := nsLabels[podSecurityEnforceLabel]
	if reason, forbids := podSecurityReasons[level]; forbids {
		return outcome{}, stalled(reason, fmt.Sprintf(
			"Namespace %s enforces the Pod Security level %q (label %s), which forbids the hostPath volume spec.logs needs: the App's pods would be refused. Set the namespace's enforce level to privileged, or remove spec.logs.",
			app.Namespace, level, podSecurityEnforceLabel))
	}
	return ready(fmt.Sprintf(
		"Pods get the node directory %s/%s/%s at %s, one sub-directory per pod.", logRoot, app.Namespace, app.Name, app.Spec.Logs.Path)), nil
}
