package app

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

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
func (r *Reconciler) reconcileLogs(ctx context.Context, app *v1alpha1.App) error {
	if app.Spec.Logs == nil {
		app.Status.ClearCondition(v1alpha1.ConditionLogsReady)
		return nil
	}
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, types.NamespacedName{Name: app.Namespace}, ns); err != nil {
		app.Status.MarkLogs(metav1.ConditionUnknown, v1alpha1.ReasonAPIError, err.Error())
		return fmt.Errorf("reading namespace %s: %w", app.Namespace, err)
	}
	status, reason, message := logsCondition(app, ns.Labels, r.Platform.LogRoot)
	app.Status.MarkLogs(status, reason, message)
	return nil
}

// logsCondition decides LogsReady from the namespace's labels.
func logsCondition(app *v1alpha1.App, nsLabels map[string]string, logRoot string) (metav1.ConditionStatus, string, string) {
	level := nsLabels[podSecurityEnforceLabel]
	if reason, forbids := podSecurityReasons[level]; forbids {
		return metav1.ConditionFalse, reason, fmt.Sprintf(
			"Namespace %s enforces the Pod Security level %q (label %s), which forbids the hostPath volume spec.logs needs: the App's pods would be refused. Set the namespace's enforce level to privileged, or remove spec.logs.",
			app.Namespace, level, podSecurityEnforceLabel)
	}
	return metav1.ConditionTrue, v1alpha1.ReasonReady, fmt.Sprintf(
		"Pods get the node directory %s/%s/%s at %s, one sub-directory per pod.", logRoot, app.Namespace, app.Name, app.Spec.Logs.Path)
}
