package chart

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/test/testenv"
)

// The install tests' release namespace and build namespace.
const (
	installNamespace = "knapp-system"
	buildNamespace   = "team-a"
	fieldOwner       = "knapp-chart-test"
)

// controlPlane starts one control plane for the package's install tests
// (etcd and kube-apiserver with knapp's, Knative's, Istio's and Argo's CRDs;
// envtest's apiserver authorizes with RBAC).
var controlPlane = sync.OnceValues(func() (*testenv.Env, error) {
	testenv.SetupLogging()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env, err := testenv.Start(ctx)
	if err != nil {
		return nil, err
	}
	atExit(func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	})
	return env, nil
})

// startControlPlane skips the test without a control plane, as the other
// integration suites do (testenv.SkipSuite), and starts it otherwise.
func startControlPlane(t *testing.T) *testenv.Env {
	t.Helper()
	if testenv.SkipSuite() {
		t.Skip("no control plane: KUBEBUILDER_ASSETS is not set (make test sets it)")
	}
	env, err := controlPlane()
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	return env
}

// TestInstall puts every object of the chart (self-signed certificates,
// one build namespace) on a real kube-apiserver with server-side apply,
// which refuses unknown fields, then checks as the chart's ServiceAccounts
// that the RBAC allows what knapp does and nothing more, and finally
// installs, upgrades and uninstalls the chart with Helm's own actions.
func TestInstall(t *testing.T) {
	env := startControlPlane(t)
	r, err := renderValues(t, installNamespace, values(t, "builds: {namespaces: ["+buildNamespace+"]}"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"apply every object", func(t *testing.T) { applyAll(t, env.Client, r) }},
		{"RBAC allows what knapp does", func(t *testing.T) { checkAccess(t, env, managerAccount, managerNeeds, true) }},
		{"RBAC allows knapp nothing else", func(t *testing.T) { checkAccess(t, env, managerAccount, managerMustNot, false) }},
		{"RBAC of the build executor", func(t *testing.T) {
			checkAccess(t, env, executorAccount, executorNeeds, true)
			checkAccess(t, env, executorAccount, executorMustNot, false)
		}},
		{"knapp's own calls as its ServiceAccount", func(t *testing.T) { knappCalls(t, env) }},
		{"helm install, upgrade and uninstall keep knapp's certificates", func(t *testing.T) { helmLifecycle(t, env) }},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.FailNow() // later steps build on earlier ones
		}
	}
}

// applyAll creates the namespaces (Knative Serving's too: Knative is
// installed before knapp), then the CRDs (waiting until they are
// Established), then everything else in Helm's install order.
func applyAll(t *testing.T, c client.Client, r rendered) {
	ctx := context.Background()
	for _, ns := range []string{installNamespace, buildNamespace, "knative-serving"} {
		err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	// Server-side apply refuses unknown fields by itself; make sure.
	bad := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "bad", "namespace": installNamespace}, "dataa": map[string]any{}}}
	if err := apply(ctx, c, bad); err == nil {
		t.Fatal("server-side apply accepted an unknown field")
	}
	for _, crds := range []bool{true, false} {
		for _, o := range r.Objects {
			if (o.GetKind() == "CustomResourceDefinition") != crds {
				continue
			}
			if err := apply(ctx, c, o.Unstructured.DeepCopy()); err != nil {
				t.Fatalf("applying %s: %v", o, err)
			}
			if crds {
				waitEstablished(t, c, o.GetName())
			}
		}
	}
}

func apply(ctx context.Context, c client.Client, u *unstructured.Unstructured) error {
	return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(fieldOwner), client.ForceOwnership)
}

func waitEstablished(t *testing.T, c client.Client, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		// Unstructured: testenv's scheme has no apiextensions types.
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
		if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			return false, err
		}
		conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, cond := range conditions {
			if cond, _ := cond.(map[string]any); cond["type"] == string(apiextensionsv1.Established) && cond["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("CRD %s not Established: %v", name, err)
	}
}
