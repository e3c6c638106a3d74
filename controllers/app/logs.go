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

// logsCondition decides LogsReady from the namespace's labels. A level that
// forbids hostPath stalls the App; an explicit "privileged" without knapp's
// policy label does too, because there every pod of the namespace may mount
// any node path (an unset level is the cluster's default, which knapp
// cannot see, so it is not judged).
func logsCondition(app *v1alpha1.App, nsLabels map[string]string, logRoot string) (outcome, error) {
	level := nsLabels[podSecurityEnforceLabel]
	guard := fmt.Sprintf("%s=%s", v1alpha1.LabelPodSecurity, v1alpha1.LabelPodSecurityBaseline)
	if reason, forbids := podSecurityReasons[level]; forbids {
		return outcome{}, stalled(reason, fmt.Sprintf(
			"Namespace %s enforces the Pod Security level %q (label %s), which forbids the hostPath volume spec.logs needs: the App's pods would be refused. Set the namespace's enforce level to privileged and label it %s (knapp's policy then keeps baseline for every pod but knapp's log volume), or remove spec.logs.",
			app.Namespace, level, podSecurityEnforceLabel, guard))
	}
	if level == "privileged" && nsLabels[v1alpha1.LabelPodSecurity] != v1alpha1.LabelPodSecurityBaseline {
		return outcome{}, stalled(v1alpha1.ReasonPodSecurityUnguarded, fmt.Sprintf(
			"Namespace %s enforces the Pod Security level \"privileged\" without knapp's policy: any pod there may mount any node path. A cluster admin should label it %s, which keeps baseline for every pod but knapp's log volume.",
			app.Namespace, guard))
	}
	return ready(fmt.Sprintf(
		"Pods get the node directory %s/%s/%s at %s, one sub-directory per pod.", logRoot, app.Namespace, app.Name, app.Spec.Logs.Path)), nil
}
