package hookapi

import (
	"context"
	"errors"

	"knapp.dev/knapp/api/v1alpha1"
)

// Builds is what the hook API needs from the cluster.
type Builds interface {
	// GetApp returns the App, from a cache: it is asked before the caller
	// is authenticated. An error for which apierrors.IsNotFound is true
	// means no such App.
	GetApp(ctx context.Context, namespace, name string) (*v1alpha1.App, error)
	// HookToken returns the token key of the App's hook Secret, from a
	// cache: it is asked before the caller is authenticated.
	// ErrSecretNotFound (wrapped) when the Secret or key is missing.
	HookToken(ctx context.Context, app *v1alpha1.App) ([]byte, error)
	// StartBuild creates the build Workflow of the App at commit (a
	// deterministic name per App and commit) and returns its name;
	// ErrBuildExists (wrapped) when that Workflow already exists, returned
	// together with the existing Workflow's name.
	StartBuild(ctx context.Context, app *v1alpha1.App, commit string) (workflow string, err error)
}

var (
	// ErrSecretNotFound is what Builds.HookToken wraps when the App's hook
	// Secret, or its key token, does not exist. The API answers 401, as
	// for a wrong token.
	ErrSecretNotFound = errors.New("hook secret not found")
	// ErrBuildExists is what Builds.StartBuild wraps when the build
	// Workflow of that App and commit exists already. The API answers 409.
	ErrBuildExists = errors.New("build already exists")
)

// TokenKey is the key of the hook Secret that holds the token.
const TokenKey = v1alpha1.HookTokenKey
