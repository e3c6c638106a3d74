package app

import (
	"context"
	"fmt"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

// checkBuildTemplate: the build's template exists and declares every
// parameter the build sets (Argo would otherwise drop it without a word, and
// a private repository or a build argument would be silently ignored).
func (r *Reconciler) checkBuildTemplate(ctx context.Context, app *v1alpha1.App, ref platform.BuildTemplate) error {
	var declared []wfv1.Parameter
	var kind string
	if ref.ClusterScope {
		kind = "ClusterWorkflowTemplate " + ref.Name
		tmpl := &wfv1.ClusterWorkflowTemplate{}
		if err := r.APIReader.Get(ctx, types.NamespacedName{Name: ref.Name}, tmpl); err != nil {
			return templateReadError(kind, err)
		}
		declared = tmpl.Spec.Arguments.Parameters
	} else {
		kind = "WorkflowTemplate " + app.Namespace + "/" + ref.Name
		tmpl := &wfv1.WorkflowTemplate{}
		if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: app.Namespace, Name: ref.Name}, tmpl); err != nil {
			return templateReadError(kind, err)
		}
		declared = tmpl.Spec.Arguments.Parameters
	}
	if missing := resources.UndeclaredBuildParams(app, declared); len(missing) > 0 {
		return retryLater(v1alpha1.ReasonTemplateIncompatible, fmt.Sprintf(
			"%s does not take the parameters %s, which spec.build sets (%s): add them to its spec.arguments.parameters, or build with the platform's template",
			kind, strings.Join(missing, ", "), resources.BuildParamFields(missing)))
	}
	return nil
}

func templateReadError(kind string, err error) error {
	if apierrors.IsNotFound(err) {
		return retryLater(v1alpha1.ReasonTemplateNotFound,
			kind+" does not exist: create it (the platform's default ships in config/build), or set spec.build.templateRef")
	}
	return fmt.Errorf("reading %s: %w", kind, err)
}

// checkRegistrySecret: spec.build.registrySecretName exists. Metadata only:
// knapp never reads the push credentials themselves.
func (r *Reconciler) checkRegistrySecret(ctx context.Context, app *v1alpha1.App) error {
	b := app.Spec.Build
	if b.RegistrySecretName == "" {
		return nil
	}
	secret := &metav1.PartialObjectMetadata{}
	secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	found, err := r.getBuildSecret(ctx, app.Namespace, b.RegistrySecretName, secret)
	if err != nil || found {
		return err
	}
	return retryLater(v1alpha1.ReasonSecretNotFound, fmt.Sprintf(
		"spec.build.registrySecretName: Secret %s/%s does not exist; create it (type kubernetes.io/dockerconfigjson) with push access to %s",
		app.Namespace, b.RegistrySecretName, b.ImageRepository))
}

// checkGitSecret: spec.build.git.secretName exists and holds credentials of
// the kind the URL needs, so a build never starts that could only fail in
// its clone step (or, over ssh, trust an unknown host key). knapp reads
// the keys to check them and passes on only the Secret's name.
func (r *Reconciler) checkGitSecret(ctx context.Context, app *v1alpha1.App) error {
	g := app.Spec.Build.Git
	if g.SecretName == "" {
		return nil
	}
	secret := &corev1.Secret{}
	found, err := r.getBuildSecret(ctx, app.Namespace, g.SecretName, secret)
	if err != nil {
		return err
	}
	if !found {
		return retryLater(v1alpha1.ReasonSecretNotFound, fmt.Sprintf(
			"spec.build.git.secretName: Secret %s/%s does not exist; create it with the credentials to clone %s",
			app.Namespace, g.SecretName, g.URL))
	}
	if why := v1alpha1.GitSecretProblem(g.URL, secret); why != "" {
		return retryLater(v1alpha1.ReasonGitSecretInvalid, "spec.build.git.secretName: "+why)
	}
	return nil
}

// getBuildSecret reads a Secret a build names into obj (the Secret, or its
// metadata only). found is false when it does not exist; outside the build
// namespaces knapp may not read it (BuildNotAllowed).
func (r *Reconciler) getBuildSecret(ctx context.Context, namespace, name string, obj client.Object) (found bool, err error) {
	err = r.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case apierrors.IsForbidden(err):
		return false, retryLater(v1alpha1.ReasonBuildNotAllowed, buildSecretsForbidden(namespace))
	case err != nil:
		return false, fmt.Errorf("reading Secret %s/%s: %w", namespace, name, err)
	}
	return true, nil
}
