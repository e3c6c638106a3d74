package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/api/v1alpha1"
)

// logsPath is where the Apps with logs write them.
const logsPath = "/var/log/app"

// plan is the Apps of one run: N plain image Apps, every logsEvery-th with
// spec.logs (their pods go through the pod webhook), perNamespace to a
// namespace. Names are unique across namespaces, so no two Apps ask for one
// host (a domain conflict would be a different workload).
type plan struct {
	namespaces []string
	apps       []*v1alpha1.App
}

func planApps(n, perNamespace, logsEvery int) plan {
	var p plan
	for i := range n {
		if i%perNamespace == 0 {
			p.namespaces = append(p.namespaces, fmt.Sprintf("bench-%03d", i/perNamespace))
		}
		ns := p.namespaces[len(p.namespaces)-1]
		name := fmt.Sprintf("app-%05d", i)
		app := newApp(ns, name)
		if logsEvery > 0 && i%logsEvery == 0 {
			app.Spec.Logs = &v1alpha1.Logs{Path: logsPath}
		}
		p.apps = append(p.apps, app)
	}
	return p
}

func newApp(ns, name string) *v1alpha1.App {
	return &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/bench/" + name + ":1.0.0"},
	}
}

func (p plan) keys() []types.NamespacedName {
	keys := make([]types.NamespacedName, len(p.apps))
	for i, a := range p.apps {
		keys[i] = types.NamespacedName{Namespace: a.Namespace, Name: a.Name}
	}
	return keys
}

func (p plan) withLogs() []*v1alpha1.App {
	var out []*v1alpha1.App
	for _, a := range p.apps {
		if a.Spec.Logs != nil {
			out = append(out, a)
		}
	}
	return out
}

func (s *session) createNamespaces(ctx context.Context, names ...string) error {
	for _, n := range names {
		if err := s.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", n, err)
		}
	}
	return nil
}
