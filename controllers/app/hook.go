package app

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/hookapi"
)

// reconcileHook reports whether the App's build hook can be called: its
// Secret exists and has a token. The hook API answers a caller the same
// 401 for a missing Secret as for a wrong token (so nobody learns which
// Apps exist), so this condition is where the App's owner sees the cause.
// A missing Secret is looked for again with backoff: knapp watches no
// Secrets.
func (r *Reconciler) reconcileHook(ctx context.Context, s *state) (outcome, error) {
	b := s.app.Spec.Build
	if b == nil || b.Hook == nil {
		return cleared, nil
	}
	key := types.NamespacedName{Namespace: s.app.Namespace, Name: b.Hook.SecretName}
	_, err := r.hookToken(ctx, key)
	var missing *hookSecretMissing
	switch {
	case errors.As(err, &missing) && missing.noToken:
		return outcome{}, retryLater(v1alpha1.ReasonSecretNotFound, fmt.Sprintf(
			"spec.build.hook.secretName: Secret %s has no key %q, or it is empty: until it has the git server's webhook secret there, the hook API answers 401 to every call",
			key, v1alpha1.HookTokenKey))
	case errors.As(err, &missing):
		return outcome{}, retryLater(v1alpha1.ReasonSecretNotFound, fmt.Sprintf(
			"spec.build.hook.secretName: Secret %s does not exist; create it with the key %q (the git server's webhook secret): until then the hook API answers 401 to every call",
			key, v1alpha1.HookTokenKey))
	case apierrors.IsForbidden(err):
		return outcome{}, retryLater(v1alpha1.ReasonBuildNotAllowed, buildSecretsForbidden(s.app.Namespace))
	case err != nil:
		return outcome{}, err
	}
	return ready(fmt.Sprintf("Builds start on POST %s with the token of Secret %s.",
		hookapi.PathOf(s.app.Namespace, s.app.Name), key)), nil
}

// hookToken reads the token of a hook Secret past the informers (knapp
// caches no Secrets): for the hook API, through its short-lived cache
// (HookBuilds), and for HookReady.
func (r *Reconciler) hookToken(ctx context.Context, key types.NamespacedName) ([]byte, error) {
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, key, secret)
	if apierrors.IsNotFound(err) {
		return nil, &hookSecretMissing{key: key}
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", key, err)
	}
	token := secret.Data[v1alpha1.HookTokenKey]
	if len(token) == 0 {
		return nil, &hookSecretMissing{key: key, noToken: true}
	}
	return token, nil
}

// hookSecretMissing is a hook Secret that does not exist, or has no token;
// it is a hookapi.ErrSecretNotFound.
type hookSecretMissing struct {
	key     types.NamespacedName
	noToken bool
}

func (e *hookSecretMissing) Error() string {
	if e.noToken {
		return fmt.Sprintf("%v: Secret %s has no key %q", hookapi.ErrSecretNotFound, e.key, v1alpha1.HookTokenKey)
	}
	return fmt.Sprintf("%v: Secret %s does not exist", hookapi.ErrSecretNotFound, e.key)
}

func (e *hookSecretMissing) Unwrap() error { return hookapi.ErrSecretNotFound }
