package failure

import (
	"context"
	"errors"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// leaseName is knapp's LeaderElectionID (cmd/knapp).
const leaseName = "knapp.knapp.dev"

// TestLeaderKilled runs two knapps with --leader-elect, as the chart runs
// its two replicas, SIGKILLs the leader (no Lease release, as in a node
// crash) and creates an App: the standby takes the Lease once it expires
// and reconciles the App, and did not reconcile it before it led.
func TestLeaderKilled(t *testing.T) {
	ns := newNamespace(t)
	// The Lease goes in the test's own namespace, so no holder left by an
	// earlier run has to be waited out.
	args := []string{"--leader-elect", "--leader-election-namespace=" + ns}
	a, b := startKnapp(t, "a", args...), startKnapp(t, "b", args...)

	var leader, standby *knapp
	eventually(t, time.Minute, "one leader", func(context.Context) error {
		switch la, lb := a.leads(), b.leads(); {
		case la && lb:
			t.Fatal("both knapps acquired the Lease")
		case la:
			leader, standby = a, b
		case lb:
			leader, standby = b, a
		default:
			return errors.New("neither knapp acquired the Lease")
		}
		return nil
	})
	lease := getLease(t, ns)
	holder := *lease.Spec.HolderIdentity
	t.Logf("%s leads as %s (lease %ds)", leader.name, holder, *lease.Spec.LeaseDurationSeconds)

	create(t, newApp(ns, "before", image(ns, "before", 1)))
	waitConverged(t, time.Minute, ns, "before")
	if standby.leads() || len(standby.logLines(0, "Starting workers")) > 0 {
		t.Fatalf("%s, the standby, started reconciling", standby.name)
	}

	leader.Kill()
	killed := time.Now()
	create(t, newApp(ns, "after", image(ns, "after", 1)))

	// The App is read before the Lease: an App reconciled while the Lease
	// still names the killed leader was reconciled by a knapp not leading.
	var takeover time.Duration
	deadline := killed.Add(2 * time.Minute)
	for {
		ctx := context.Background()
		reconciled := checkConverged(ctx, ns, "after")
		now := *getLease(t, ns).Spec.HolderIdentity
		if now != holder && takeover == 0 {
			takeover = time.Since(killed)
		}
		if reconciled == nil {
			if now == holder {
				t.Fatalf("the App was reconciled while the killed leader %s still held the Lease", holder)
			}
			break
		}
		standby.alive(t)
		if time.Now().After(deadline) {
			t.Fatalf("the standby did not take over and reconcile within 2m (Lease holder %s): %v", now, reconciled)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !standby.leads() {
		t.Fatalf("the Lease changed hands, but %s did not log acquiring it", standby.name)
	}
	t.Logf("after the SIGKILL, %s took the Lease in %s and had reconciled the new App %s after the kill",
		standby.name, takeover.Round(100*time.Millisecond), time.Since(killed).Round(100*time.Millisecond))
}

// leads reports whether it acquired the leader Lease (client-go's
// leaderelection logs it through klog).
func (k *knapp) leads() bool {
	return len(k.logLines(0, "Successfully acquired lease")) > 0
}

func getLease(t *testing.T, ns string) *coordinationv1.Lease {
	t.Helper()
	lease := &coordinationv1.Lease{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: leaseName}, lease); err != nil {
		t.Fatalf("reading the Lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil || lease.Spec.LeaseDurationSeconds == nil {
		t.Fatalf("Lease without holder or duration: %+v", lease.Spec)
	}
	return lease
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}
