package failure

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// newNamespace makes a namespace of the test's own. When the test ends its
// Apps are deleted, so the next test's knapp does not reconcile them again
// (envtest runs no garbage collector or namespace controller: children and
// the namespace stay, unwatched).
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "knapp-failure-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = k8s.DeleteAllOf(ctx, &v1alpha1.App{}, client.InNamespace(ns.Name))
		_ = k8s.Delete(ctx, ns)
	})
	return ns.Name
}

// newApp is an App running image; its host is the namespace's and its
// name's, so no two tests' Apps compete for one.
func newApp(ns, name, image string) *v1alpha1.App {
	return &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.AppSpec{
			Image:  image,
			Domain: &v1alpha1.Domain{Name: ns + "-" + name},
		},
	}
}

// withBuild adds spec.build, keeping spec.image, so the App runs (has a
// Knative Service) while its build, which nothing runs here, stays pending.
func withBuild(a *v1alpha1.App) *v1alpha1.App {
	a.Spec.Build = &v1alpha1.BuildSpec{
		Git:             v1alpha1.GitSource{URL: "https://git.example.com/" + a.Namespace + "/" + a.Name + ".git", Revision: "main"},
		ImageRepository: "registry.example.com/" + a.Namespace + "/" + a.Name,
	}
	return a
}

// eventually polls check until it returns nil, and fails the test with its
// last error after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func(ctx context.Context) error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		err := check(ctx)
		if err != nil && ctx.Err() != nil && last != nil {
			// The poll's own deadline cut this check short: report why the
			// check before it failed, not the deadline.
			return false, nil
		}
		last = err
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s: %v", what, timeout, last)
	}
}

// converged says why the App's status and Knative Service do not yet
// reflect its current spec, or nil: knapp observed its generation, wrote a
// Ready condition, and the Service it controls runs spec.image in the
// revision template that spec asks for (its name is the template's content
// hash, so an equal name is an equal template).
func converged(a *v1alpha1.App, ns *corev1.Namespace, ksvc *servingv1.Service) error {
	if a.Status.ObservedGeneration != a.Generation {
		return fmt.Errorf("App %s: observedGeneration %d, generation %d", a.Name, a.Status.ObservedGeneration, a.Generation)
	}
	if a.Status.GetCondition(v1alpha1.ConditionReady) == nil {
		return fmt.Errorf("App %s: no Ready condition", a.Name)
	}
	if ksvc == nil {
		return fmt.Errorf("App %s: no Knative Service", a.Name)
	}
	if !metav1.IsControlledBy(ksvc, a) {
		return fmt.Errorf("App %s: Knative Service not controlled by it: %v", a.Name, ksvc.OwnerReferences)
	}
	want, err := expectedTemplate(a, ns)
	if err != nil {
		return err
	}
	if got := ksvc.Spec.Template.Spec.Containers[0].Image; got != a.Spec.Image {
		return fmt.Errorf("App %s: Service runs %s, spec.image is %s", a.Name, got, a.Spec.Image)
	}
	if ksvc.Spec.Template.Name != want.Name {
		return fmt.Errorf("App %s: Service's revision template %s, want %s", a.Name, ksvc.Spec.Template.Name, want.Name)
	}
	return nil
}

// expectedTemplate is the revision template knapp's own builder makes of
// the App in its namespace, with the built-in platform config knapp runs with.
func expectedTemplate(a *v1alpha1.App, ns *corev1.Namespace) (servingv1.RevisionTemplateSpec, error) {
	environment, err := platform.Default().EnvironmentFor(ns.Name, ns.Labels)
	if err != nil {
		return servingv1.RevisionTemplateSpec{}, err
	}
	return resources.MakeRevisionTemplate(a, environment, "")
}

// waitConverged waits until the Apps of these names in ns converged.
func waitConverged(t *testing.T, timeout time.Duration, ns string, names ...string) {
	t.Helper()
	eventually(t, timeout, fmt.Sprintf("Apps %v converged", names), func(ctx context.Context) error {
		return checkConverged(ctx, ns, names...)
	})
}

func checkConverged(ctx context.Context, ns string, names ...string) error {
	namespace := &corev1.Namespace{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: ns}, namespace); err != nil {
		return err
	}
	for _, name := range names {
		a := &v1alpha1.App{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, a); err != nil {
			return err
		}
		ksvc := &servingv1.Service{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ksvc); err != nil {
			return fmt.Errorf("App %s: %w", name, err)
		}
		if err := converged(a, namespace, ksvc); err != nil {
			return err
		}
	}
	return nil
}

// setImage changes an App's image with a merge patch, as kubectl patch
// would (no resourceVersion, so it never conflicts).
func setImage(ctx context.Context, key client.ObjectKey, image string) error {
	a := &v1alpha1.App{}
	if err := k8s.Get(ctx, key, a); err != nil {
		return err
	}
	patch := client.MergeFrom(a.DeepCopy())
	a.Spec.Image = image
	return k8s.Patch(ctx, a, patch)
}
