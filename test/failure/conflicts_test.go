package failure

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// otherLabel is a label of the Knative Service that knapp does not own.
const otherLabel = "example.com/other-writer"

const (
	// fightRound is how long the other writer fights each image change:
	// long enough, on a busy machine, to still be writing when knapp's
	// update of the Service comes.
	fightRound = 2 * time.Second
	// fightCall bounds each of the other writer's calls. It is not the
	// round's end: a write cut off by that could still be applied, unseen.
	fightCall = 30 * time.Second
)

// TestConflictsRetried: of knapp's writes, only updates of children carry
// a resourceVersion (the Knative Service's, from knapp's cache; the
// VirtualService's and PingSources' likewise); the App's status and
// Workflows are merge-patched, which never conflict. So another writer
// updates the Service in a tight loop while the App's image changes:
// knapp's update meets 409 Conflict and is retried, and every image
// change still reaches the Service, keeping the other writer's label.
func TestConflictsRetried(t *testing.T) {
	ns := newNamespace(t)
	k := startKnapp(t, "knapp")
	other := otherWriter(t)
	key := client.ObjectKey{Namespace: ns, Name: "contested"}
	create(t, newApp(ns, key.Name, image(ns, key.Name, 0)))
	waitConverged(t, time.Minute, ns, key.Name)

	const series = `knapp_reconcile_errors_total{reason="Conflict"}`
	var conflicts float64
	var label string
	rounds := 0
	// Three rounds at least, and on until a few conflicts happened (usually
	// in the first round); each round's image must reach the Service.
	for version := 1; version <= 3 || (conflicts < 3 && version <= 15); version++ {
		rounds++
		ctx, cancel := context.WithTimeout(context.Background(), fightRound)
		wrote := make(chan string, 1)
		go func() { wrote <- fight(ctx, t, other, key, version) }()
		if err := setImage(context.Background(), key, image(ns, key.Name, version)); err != nil {
			t.Fatal(err)
		}
		if v := <-wrote; v != "" {
			label = v
		}
		cancel()
		waitConverged(t, time.Minute, ns, key.Name)
		var err error
		if conflicts, err = k.metric(series); err != nil {
			t.Fatal(err)
		}
	}
	if conflicts == 0 {
		t.Fatalf("no update of knapp's met a conflict in %d rounds; nothing shown", rounds)
	}
	ksvc := &servingv1.Service{}
	if err := k8s.Get(context.Background(), key, ksvc); err != nil {
		t.Fatal(err)
	}
	if got := ksvc.Labels[otherLabel]; got != label {
		t.Errorf("the other writer's label is %q, its last write set %q", got, label)
	}
	logged := k.logLines(0, "Reconciler error", "the object has been modified")
	if len(logged) == 0 {
		t.Errorf("%s is %v, but knapp logged no conflict", series, conflicts)
	}
	t.Logf("%d image changes, each reached the Service; %s = %v, %d logged, e.g.\n  %s",
		rounds, series, conflicts, len(logged), truncate(logged[0], 600))
}

// otherWriter is the other writer's own client, whose rate limiter never
// holds a call back. client-go's limiter fails a call ("rate: Wait(n=1)
// would exceed context deadline") when its wait for a token would end past
// the call's deadline, even a wait of nothing once that deadline has
// passed, which on a busy machine is before the context's timer fires and
// ctx.Err() tells; and a tight loop through the shared client spends the
// tokens for Services that the test's own polling needs.
func otherWriter(t *testing.T) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatalf("the other writer's client: %v", err)
	}
	return c
}

// fight updates the Service's otherLabel through c until ctx ends, each
// time from a fresh read, as another controller would; it returns the last
// value written. ctx only says when to stop: each call has a deadline of
// its own (fightCall), so a write in flight when the round ends completes,
// and the last value written is what the Service holds.
func fight(ctx context.Context, t *testing.T, c client.Client, key client.ObjectKey, round int) string {
	last := ""
	for i := 0; ctx.Err() == nil; i++ {
		value := fmt.Sprintf("r%d-%d", round, i)
		wrote, err := writeLabel(c, key, value)
		if err != nil {
			t.Errorf("other writer: %v", err)
			return last
		}
		if wrote {
			last = value
		}
	}
	return last
}

// writeLabel sets otherLabel to value on a fresh read of the Service. A
// conflict is no error: it wrote nothing.
func writeLabel(c client.Client, key client.ObjectKey, value string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), fightCall)
	defer cancel()
	ksvc := &servingv1.Service{}
	if err := c.Get(ctx, key, ksvc); err != nil {
		return false, err
	}
	ksvc.Labels[otherLabel] = value
	switch err := c.Update(ctx, ksvc); {
	case err == nil:
		return true, nil
	case apierrors.IsConflict(err):
		return false, nil
	default:
		return false, err
	}
}
