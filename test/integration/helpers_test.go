package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/test/testenv"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// timeout bounds each wait for knapp (a reconcile, its cache catching up)
// or the apiserver; parallel tests on a busy two-core machine take seconds.
const timeout = time.Minute

// newNamespace makes a namespace of the test's own, removed when it ends.
func newNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "knapp-test-", Labels: labels}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), ns) })
	return ns.Name
}

// newApp is a minimal App named name in ns, changed by opts. Its domain
// name is the namespace's (unique per test), so parallel tests' Apps do not
// compete for one host; the domain tests set their own.
func newApp(ns, name string, opts ...func(*v1alpha1.App)) *v1alpha1.App {
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.AppSpec{
			Image:  "registry.example.com/" + ns + "/" + name + ":1.0.0",
			Domain: &v1alpha1.Domain{Name: ns + "-" + name},
		},
	}
	for _, o := range opts {
		o(app)
	}
	return app
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// eventually polls check until it returns nil, and fails the test with its
// last error after the timeout.
func eventually(t *testing.T, what string, check func(ctx context.Context) error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		last = check(ctx)
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s: %v", what, timeout, last)
	}
}

// waitForApp waits until the App's status is current (observedGeneration
// equals generation) and check accepts it.
func waitForApp(t *testing.T, key client.ObjectKey, check func(*v1alpha1.App) error) *v1alpha1.App {
	t.Helper()
	app := &v1alpha1.App{}
	eventually(t, "App "+key.String(), func(ctx context.Context) error {
		if err := k8s.Get(ctx, key, app); err != nil {
			return err
		}
		if app.Status.ObservedGeneration != app.Generation {
			return fmt.Errorf("observedGeneration %d, generation %d", app.Status.ObservedGeneration, app.Generation)
		}
		return check(app)
	})
	return app
}

// conditionIs checks one condition of the App.
func conditionIs(condType string, status metav1.ConditionStatus, reason string) func(*v1alpha1.App) error {
	return func(app *v1alpha1.App) error {
		c := app.Status.GetCondition(condType)
		if c == nil {
			return fmt.Errorf("no %s condition in %+v", condType, app.Status.Conditions)
		}
		if c.Status != status || c.Reason != reason {
			return fmt.Errorf("%s is %s/%s (%s), want %s/%s", condType, c.Status, c.Reason, c.Message, status, reason)
		}
		return nil
	}
}

// waitFor waits until the object exists and check accepts it.
func waitFor[T client.Object](t *testing.T, key client.ObjectKey, obj T, check func(T) error) T {
	t.Helper()
	eventually(t, fmt.Sprintf("%T %s", obj, key), func(ctx context.Context) error {
		if err := k8s.Get(ctx, key, obj); err != nil {
			return err
		}
		return check(obj)
	})
	return obj
}

// waitForService waits until the App's Knative Service exists and check accepts it.
func waitForService(t *testing.T, key client.ObjectKey, check func(*servingv1.Service) error) *servingv1.Service {
	t.Helper()
	return waitFor(t, key, &servingv1.Service{}, check)
}

func anyService(*servingv1.Service) error { return nil }

// actAsKnative does what Knative Serving's controllers would for the
// Service's current generation: create the template's Revision and report
// the Service ready, routing as its spec says.
func actAsKnative(t *testing.T, ksvc *servingv1.Service) {
	t.Helper()
	ctx := context.Background()
	rev := testenv.RevisionOf(ksvc)
	if err := k8s.Create(ctx, rev); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating revision %s: %v", rev.Name, err)
	}
	setKnativeStatus(t, client.ObjectKeyFromObject(ksvc), knativeReady)
}

// knativeReady sets the conditions Knative reports for a Service whose
// revision is ready and whose routes serve its URL.
func knativeReady(s *servingv1.Service) { testenv.KnativeReady(s) }

// setKnativeStatus writes the Service's status as Knative would for its
// current generation (testenv.SetKnativeStatus), then edit.
func setKnativeStatus(t *testing.T, key client.ObjectKey, edit func(*servingv1.Service)) {
	t.Helper()
	eventually(t, "writing Knative status", func(ctx context.Context) error {
		s := &servingv1.Service{}
		if err := k8s.Get(ctx, key, s); err != nil {
			return err
		}
		testenv.SetKnativeStatus(s)
		edit(s)
		return k8s.Status().Update(ctx, s)
	})
}

// eventsFor lists the events about an object.
func eventsFor(t *testing.T, obj client.Object) []eventsv1.Event {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(obj.GetNamespace())); err != nil {
		t.Fatalf("listing events: %v", err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == obj.GetName() && e.Regarding.Kind == "App" {
			out = append(out, e)
		}
	}
	return out
}

type corev1Namespace = corev1.Namespace

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// readyApp creates an App named shop in a new namespace, waits for its
// Knative Service, plays Knative until the App is Ready, and returns both.
func readyApp(t *testing.T, nsLabels map[string]string) (*v1alpha1.App, *servingv1.Service) {
	t.Helper()
	app := newApp(newNamespace(t, nsLabels), "shop")
	create(t, app)
	key := client.ObjectKeyFromObject(app)
	ksvc := waitForService(t, key, anyService)
	actAsKnative(t, ksvc)
	return waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady)), ksvc
}
