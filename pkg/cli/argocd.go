package cli

import (
	"fmt"

	"knapp.dev/knapp/api/v1alpha1"
)

// Argo CD's marks on the objects it manages: the annotation of its
// annotation tracking (the default since Argo CD 3) and the label of its
// label tracking.
const (
	argoCDTrackingAnnotation = "argocd.argoproj.io/tracking-id"
	argoCDInstanceLabel      = "app.kubernetes.io/instance"
)

// argoCDManaged says why an App is Argo CD's ("" when it is not): a patch
// of its spec would be undone at the next sync, so the plugin refuses it
// unless --force.
func argoCDManaged(a *v1alpha1.App) string {
	if id, ok := a.Annotations[argoCDTrackingAnnotation]; ok {
		return fmt.Sprintf("annotation %s=%s", argoCDTrackingAnnotation, id)
	}
	if inst, ok := a.Labels[argoCDInstanceLabel]; ok {
		return fmt.Sprintf("label %s=%s", argoCDInstanceLabel, inst)
	}
	return ""
}
