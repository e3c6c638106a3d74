package fullchain

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// timeout bounds each link; a cold link (Knative's controller's first
// reconcile, the first pod) takes seconds on a busy two-core machine, and
// the first of Knative's controller (the Configuration) also waits out its
// start, which startChain does not wait for.
const timeout = 2 * time.Minute

// eventually polls check until it returns nil; it fails the test with the
// last error after timeout, or at once if a process of the stack exited.
func eventually(t *testing.T, what string, check func(ctx context.Context) error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		exited(t)
		last = check(ctx)
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s: %v", what, timeout, last)
	}
}

// waitFor waits until the object exists and check accepts it.
func waitFor[T client.Object](t *testing.T, key types.NamespacedName, obj T, check func(T) error) T {
	t.Helper()
	eventually(t, fmt.Sprintf("%T %s", obj, key), func(ctx context.Context) error {
		if err := k8s.Get(ctx, key, obj); err != nil {
			return err
		}
		return check(obj)
	})
	return obj
}

// controlledBy checks that owner is obj's controller.
func controlledBy(obj, owner client.Object) error {
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.UID != owner.GetUID() {
		return fmt.Errorf("%s is controlled by %+v, not by %s (uid %s)", obj.GetName(), ref, owner.GetName(), owner.GetUID())
	}
	return nil
}

// knativeCondition checks one condition of a Knative object's status.
func knativeCondition(st duckv1.Status, typ apis.ConditionType, status, reason string) error {
	c := st.GetCondition(typ)
	if c == nil {
		return fmt.Errorf("no %s condition in %+v", typ, st.Conditions)
	}
	if string(c.Status) != status || (reason != "*" && c.Reason != reason) {
		return fmt.Errorf("%s is %s/%s (%s), want %s/%s", typ, c.Status, c.Reason, c.Message, status, reason)
	}
	return nil
}

// logConditions records a Knative object's conditions in the test log.
func logConditions(t *testing.T, what string, st duckv1.Status) {
	t.Helper()
	for _, c := range st.Conditions {
		t.Logf("%s: %s=%s %s %s", what, c.Type, c.Status, c.Reason, c.Message)
	}
}

// listUnstructured lists the objects of a kind in ns, for Knative's
// internal kinds that the test's scheme does not type.
func listUnstructured(ctx context.Context, gvk schema.GroupVersionKind, ns string) ([]unstructured.Unstructured, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// admission is one request Knative's webhook answered, as it logs it.
type admission struct {
	Kind      string `json:"knative.dev/kind"`
	Namespace string `json:"knative.dev/namespace"`
	Name      string `json:"knative.dev/name"`
	Operation string `json:"knative.dev/operation"`
	User      string `json:"knative.dev/userinfo"`
	Allowed   bool   `json:"admissionreview/allowed"`
}

// knativeAdmissions reads the admission requests from the log of Knative's
// webhook (knative.dev/pkg/webhook logs each with its audit annotations).
func knativeAdmissions(t *testing.T) []admission {
	t.Helper()
	f, err := os.Open(filepath.Join(logDir, "knative-webhook.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []admission
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), "remote admission controller audit annotations") {
			continue
		}
		var a admission
		if err := json.Unmarshal(line, &a); err == nil {
			out = append(out, a)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// admittedByKnative checks that Knative's webhook allowed the creation of
// kind (as it names kinds: "serving.knative.dev/v1, Kind=Revision") ns/name
// by user.
func admittedByKnative(t *testing.T, kind, ns, name, user string) {
	t.Helper()
	var seen []string
	for _, a := range knativeAdmissions(t) {
		if a.Kind == kind && a.Namespace == ns && a.Name == name && a.Operation == "CREATE" && a.User == user && a.Allowed {
			return
		}
		seen = append(seen, fmt.Sprintf("%s %s %s/%s by %s allowed=%t", a.Operation, a.Kind, a.Namespace, a.Name, a.User, a.Allowed))
	}
	t.Errorf("Knative's webhook did not admit the creation of %s %s/%s by %s; it answered:\n  %s", kind, ns, name, user, strings.Join(seen, "\n  "))
}
