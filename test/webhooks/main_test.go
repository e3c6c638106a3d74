// Package webhooks_test runs knapp's admission webhooks (webhooks/podlogs and
// webhooks/appvalidation) behind a real kube-apiserver, installed from their
// configurations in config/webhook: the apiserver calls them over TLS, with
// the configurations' selectors, exactly as on a cluster. No knapp manager
// runs; the tests write Apps and Pods themselves (pods are never scheduled,
// only their admission matters).
package webhooks_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/testenv"
	"knapp.dev/knapp/webhooks/serve"
)

// logRoot is the platform's log root the pod webhook is configured with.
const logRoot = "/var/log/knapp"

var (
	env *testenv.Env
	k8s client.Client
)

func TestMain(m *testing.M) {
	if testenv.SkipSuite() {
		fmt.Println("skipping webhook tests: KUBEBUILDER_ASSETS is not set (make test sets it)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	testenv.SetupLogging()
	root, err := testenv.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "finding the repository:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env, err = testenv.Start(ctx, testenv.WithWebhookConfigs(
		filepath.Join(root, "config", "webhook", "podlogs.yaml"),
		filepath.Join(root, "config", "webhook", "appvalidation.yaml"),
	))
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}()
	k8s = env.Client

	// The same registration as knapp's manager (webhooks/serve).
	cfg := platform.Default()
	cfg.LogRoot = logRoot
	serve.Register(env, env.Client, env.Scheme, cfg)

	return m.Run()
}

// newNamespace makes a namespace of the test's own with a generated name
// (envtest runs no namespace controller, so deleted namespaces stay
// Terminating forever and their names are never free again).
func newNamespace(tb testing.TB, labels map[string]string) string {
	tb.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "knapp-wh-", Labels: labels}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		tb.Fatalf("creating namespace: %v", err)
	}
	tb.Cleanup(func() { _ = k8s.Delete(context.Background(), ns) })
	return ns.Name
}

func create(tb testing.TB, obj client.Object) {
	tb.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		tb.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}
