package reap_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"knapp.dev/knapp/test/reap"
	"knapp.dev/knapp/test/testenv"
)

// controlPlaneHelper starts testenv's control plane and says the pids of
// its programs (etcd, kube-apiserver).
func controlPlaneHelper() {
	testenv.SetupLogging()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := testenv.Start(ctx); err != nil {
		fail(err)
	}
	kids, err := reap.ChildrenOf(os.Getpid())
	if err != nil {
		fail(err)
	}
	var pids []int
	for pid := range kids {
		pids = append(pids, pid)
	}
	started(pids...)
}

// TestControlPlaneEndsWithAKilledTest: a test process killed while its
// control plane runs (go test's -timeout, an OOM kill, CI's limit) leaves
// no etcd or kube-apiserver behind to hold ports and memory.
func TestControlPlaneEndsWithAKilledTest(t *testing.T) {
	if testenv.SkipSuite() {
		t.Skip("KUBEBUILDER_ASSETS is not set (make test sets it)")
	}
	helper, programs := startHelper(t, "controlplane")
	var names []string
	for _, name := range programs {
		names = append(names, name)
	}
	if !slices.Contains(names, "etcd") || !slices.Contains(names, "kube-apiserver") {
		t.Fatalf("the helper's children are %v, want etcd and kube-apiserver among them", names)
	}
	killAndWaitEnded(t, helper, programs)
}
