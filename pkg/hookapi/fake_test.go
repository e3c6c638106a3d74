package hookapi

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// fakeBuilds is a map-backed Builds that records StartBuild calls.
type fakeBuilds struct {
	mu        sync.Mutex
	apps      map[string]*v1alpha1.App     // by namespace/name
	secrets   map[string]map[string][]byte // by namespace/name
	workflows map[string]bool
	started   []string // commits StartBuild created workflows for
	calls     int      // StartBuild calls, including those that found a workflow
}

func newFakeBuilds() *fakeBuilds {
	return &fakeBuilds{
		apps:      map[string]*v1alpha1.App{},
		secrets:   map[string]map[string][]byte{},
		workflows: map[string]bool{},
	}
}

func (f *fakeBuilds) addApp(app *v1alpha1.App) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[app.Namespace+"/"+app.Name] = app
}

func (f *fakeBuilds) addSecret(ns, name string, data map[string][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[ns+"/"+name] = data
}

func (f *fakeBuilds) GetApp(_ context.Context, ns, name string) (*v1alpha1.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	app, ok := f.apps[ns+"/"+name]
	if !ok {
		return nil, apierrors.NewNotFound(v1alpha1.GroupVersion.WithResource("apps").GroupResource(), name)
	}
	return app.DeepCopy(), nil
}

func (f *fakeBuilds) HookToken(_ context.Context, app *v1alpha1.App) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := app.Namespace + "/" + app.Spec.Build.Hook.SecretName
	data, ok := f.secrets[ref]
	if !ok {
		return nil, fmt.Errorf("secret %s: %w", ref, ErrSecretNotFound)
	}
	tok, ok := data[TokenKey]
	if !ok {
		return nil, fmt.Errorf("secret %s has no key %s: %w", ref, TokenKey, ErrSecretNotFound)
	}
	return tok, nil
}

func (f *fakeBuilds) StartBuild(_ context.Context, app *v1alpha1.App, commit string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	short := commit
	if len(short) > 10 {
		short = short[:10]
	}
	name := app.Name + "-build-" + short
	if f.workflows[name] {
		return name, fmt.Errorf("workflow %s: %w", name, ErrBuildExists)
	}
	f.workflows[name] = true
	f.started = append(f.started, commit)
	return name, nil
}

func (f *fakeBuilds) startedCommits() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.started...)
}

// hookApp is an App in team-a with a build from url and a hook whose
// Secret is secret.
func hookApp(name, url, secret string) *v1alpha1.App {
	return &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name},
		Spec: v1alpha1.AppSpec{Build: &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: url},
			ImageRepository: "registry.example.com/team-a/" + name,
			Hook:            &v1alpha1.BuildHook{SecretName: secret},
		}},
	}
}
