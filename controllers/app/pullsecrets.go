package app

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/api/v1alpha1"
)

// withPullSecrets adds to ServiceReady what knapp knows of the App's image
// pull Secrets. Where knapp may read the namespace's Secrets (the build
// namespaces: it has no cluster-wide Secret verb) it checks that each
// exists, by metadata only, and one that does not makes ServiceReady False
// (PullSecretNotFound), retried with backoff as nothing watches Secrets:
// the kubelet would pull without it and fail, and the revision never
// becomes ready. Elsewhere it cannot check, so a Service that is not ready
// for a reason Knative gives about the image gets the Secrets named.
func (r *Reconciler) withPullSecrets(ctx context.Context, app *v1alpha1.App, o outcome) (outcome, error) {
	refs := app.Spec.Template.ImagePullSecrets
	var missing []string
	for i, ref := range refs {
		secret := &metav1.PartialObjectMetadata{}
		secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: app.Namespace, Name: ref.Name}, secret)
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, fmt.Sprintf("[%d] %s", i, ref.Name))
		case apierrors.IsForbidden(err):
			return withPullSecretHint(app, o), nil
		case err != nil:
			return outcome{}, fmt.Errorf("reading Secret %s/%s: %w", app.Namespace, ref.Name, err)
		}
	}
	if len(missing) > 0 {
		return outcome{}, retryLater(v1alpha1.ReasonPullSecretNotFound, fmt.Sprintf(
			"spec.template.imagePullSecrets%s: no such Secret in namespace %s, so pulls of a private image fail; "+
				"create it (type kubernetes.io/dockerconfigjson, with pull access to the image's registry) or remove it",
			strings.Join(missing, ", "), app.Namespace))
	}
	return o, nil
}

// withPullSecretHint names the pull Secrets in a ServiceReady that is not
// True for a reason about the image (Knative could not resolve it, or the
// kubelet not pull it).
func withPullSecretHint(app *v1alpha1.App, o outcome) outcome {
	if o.status == metav1.ConditionTrue || !strings.Contains(strings.ToLower(o.message), "image") {
		return o
	}
	names := make([]string, len(app.Spec.Template.ImagePullSecrets))
	for i, ref := range app.Spec.Template.ImagePullSecrets {
		names[i] = ref.Name
	}
	o.message += fmt.Sprintf(" The App pulls with spec.template.imagePullSecrets %s, which knapp may not read in namespace %s: "+
		"check that each exists and grants pull access to the image's registry.", strings.Join(names, ", "), app.Namespace)
	return o
}
