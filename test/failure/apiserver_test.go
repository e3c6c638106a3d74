package failure

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/test/stack"
)

// apiserverDown is how long kube-apiserver stays stopped after it stopped
// (its watches end and requests fail from the stop on; stopping and
// starting take seconds more).
const apiserverDown = 2 * time.Second

// TestAPIServerRestart stops kube-apiserver under a running knapp (etcd
// and its data stay), starts it again on the same address with the same
// certificates, and then changes one App and creates another: knapp, not
// restarted, reconciles both.
func TestAPIServerRestart(t *testing.T) {
	ns := newNamespace(t)
	k := startKnapp(t, "knapp")
	create(t, newApp(ns, "old", image(ns, "old", 1)))
	waitConverged(t, time.Minute, ns, "old")

	from := k.logSize()
	stopped := time.Now()
	start := stopAPIServer(t)
	stoppedIn := time.Since(stopped)
	time.Sleep(apiserverDown)
	starting := time.Now()
	start()
	started := time.Now()
	t.Logf("kube-apiserver stopped in %s, down %s, started in %s", stoppedIn.Round(100*time.Millisecond),
		apiserverDown, started.Sub(starting).Round(100*time.Millisecond))
	k.alive(t)

	// Writes the apiserver may refuse while it finishes starting are retried.
	eventually(t, time.Minute, "writing after the restart", func(ctx context.Context) error {
		return setImage(ctx, client.ObjectKey{Namespace: ns, Name: "old"}, image(ns, "old", 2))
	})
	eventually(t, time.Minute, "creating after the restart", func(ctx context.Context) error {
		err := k8s.Create(ctx, newApp(ns, "new", image(ns, "new", 1)))
		if apierrors.IsAlreadyExists(err) {
			return nil // an earlier try got through
		}
		return err
	})
	waitConverged(t, 2*time.Minute, ns, "old", "new")
	k.alive(t)
	t.Logf("knapp (pid %d, never restarted) reconciled both Apps %s after the apiserver was back",
		k.Cmd.Process.Pid, time.Since(started).Round(100*time.Millisecond))
	t.Logf("what knapp logged from the stop on:\n%s", summarizeLog(k.logLines(from)))
}

// TestAPIServerOutageEndsLeader: with --leader-elect, as the chart runs
// knapp, a leader that cannot renew its Lease within controller-runtime's
// renew deadline (10 s) exits ("leader election lost"), so that it never
// acts beside a new leader; on a cluster the kubelet restarts it.
// (TestKillDuringRollout shows that a restarted knapp catches up.)
func TestAPIServerOutageEndsLeader(t *testing.T) {
	ns := newNamespace(t)
	k := startKnapp(t, "leader", "--leader-elect", "--leader-election-namespace="+ns)
	k.waitForLog(t, time.Minute, "Starting workers")

	from := k.logSize()
	stopped := time.Now()
	start := stopAPIServer(t)
	select {
	case <-k.Exited():
	case <-time.After(time.Minute):
		t.Fatal("the leader still runs a minute into the apiserver's outage")
	}
	exited := time.Since(stopped)
	start()
	if lost := k.logLines(from, "leader election lost"); len(lost) == 0 {
		t.Errorf("knapp exited (%v), but not for losing the election:\n%s", k.Err(), stack.Tail(k.LogFile, 10))
	}
	t.Logf("the leader exited %s into the outage (%v); what it logged from the stop on:\n%s",
		exited.Round(100*time.Millisecond), k.Err(), summarizeLog(k.logLines(from)))
}

// stopAPIServer stops kube-apiserver and returns what starts it again;
// should the test end first, it is started then, for the tests after.
func stopAPIServer(t *testing.T) (start func()) {
	t.Helper()
	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	started := false
	start = func() {
		if started {
			return
		}
		started = true
		if err := env.StartAPIServer(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(start)
	return start
}

// summarizeLog counts log lines by message: zap's "msg" for JSON lines,
// the text after the source location for klog's.
func summarizeLog(lines []string) string {
	counts := map[string]int{}
	for _, l := range lines {
		counts[logMessage(l)]++
	}
	var msgs []string
	for m := range counts {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "  %4d× %s\n", counts[m], m)
	}
	return b.String()
}

func logMessage(line string) string {
	var entry struct {
		Level, Msg, Error string
	}
	if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg != "" {
		m := entry.Level + " " + entry.Msg
		if entry.Error != "" {
			m += ": " + truncate(entry.Error, 160)
		}
		return m
	}
	if _, rest, ok := strings.Cut(line, "] "); ok {
		return "klog " + truncate(rest, 200)
	}
	return truncate(line, 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
