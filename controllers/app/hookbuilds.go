package app

import (
	"context"
	"errors"
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"k8s.io/apimachinery/pkg/types"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/hookapi"
	"knapp.dev/knapp/pkg/resources"
)

// HookBuilds gives the hook API what it needs from the cluster, starting
// builds the same way the reconciler does (same Workflow names, the same
// superseding), so a hook call and a spec change never build twice. Make
// it with NewHookBuilds.
type HookBuilds struct {
	Reconciler *Reconciler
	secrets    *hookSecretCache
}

var _ hookapi.Builds = (*HookBuilds)(nil)

// NewHookBuilds returns the hook API's view of the cluster through r.
func NewHookBuilds(r *Reconciler) *HookBuilds {
	h := &HookBuilds{Reconciler: r}
	h.secrets = newHookSecretCache(r.hookToken)
	return h
}

// GetApp reads the App from the cache.
func (h *HookBuilds) GetApp(ctx context.Context, namespace, name string) (*v1alpha1.App, error) {
	app := &v1alpha1.App{}
	if err := h.Reconciler.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, app); err != nil {
		return nil, err
	}
	return app, nil
}

// HookToken returns the token of the App's hook Secret from a short-lived
// cache of its own (hookSecretCache): the API asks before the caller is
// authenticated, and knapp's informers cache no Secrets.
func (h *HookBuilds) HookToken(ctx context.Context, app *v1alpha1.App) ([]byte, error) {
	return h.secrets.get(ctx, types.NamespacedName{Namespace: app.Namespace, Name: app.Spec.Build.Hook.SecretName})
}

// StartBuild starts the build of a pushed commit.
func (h *HookBuilds) StartBuild(ctx context.Context, app *v1alpha1.App, commit string) (string, error) {
	trigger := resources.BuildTrigger{Revision: commit, Source: resources.BuildTriggerHook}
	name := resources.BuildWorkflowName(app, trigger)
	workflows, err := h.Reconciler.buildWorkflows(ctx, app)
	if err != nil {
		return "", err
	}
	var wf *wfv1.Workflow
	if !hasWorkflow(workflows, name) {
		// No status is written here: the new Workflow wakes the
		// reconciler, which reports it.
		wf, err = h.Reconciler.startBuild(ctx, app, trigger)
	}
	switch {
	case wf == nil && (err == nil || errors.Is(err, errBuildExists)):
		return name, fmt.Errorf("%w: build %s of commit %s", hookapi.ErrBuildExists, name, commit)
	case err != nil:
		// A stepError's message says what the App's owner must fix.
		return "", err
	}
	if err := h.Reconciler.stopSuperseded(ctx, app, append([]wfv1.Workflow{*wf}, workflows...)); err != nil {
		// The build started: that is the answer. The reconciler, which
		// the new Workflow wakes, stops the older ones again.
		log.FromContext(ctx).Error(err, "build started, but an older build was not stopped", "build", name)
	}
	return name, nil
}
