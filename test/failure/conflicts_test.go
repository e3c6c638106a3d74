package failure

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// otherLabel is a label of the Knative Service that knapp does not own.
const otherLabel = "example.com/other-writer"

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
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		wrote := make(chan string, 1)
		go func() { wrote <- fight(ctx, t, key, version) }()
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

// fight updates the Service's otherLabel until ctx ends, each time from a
// fresh read, as another controller would; it returns the last value
// written.
func fight(ctx context.Context, t *testing.T, key client.ObjectKey, round int) string {
	last := ""
	for i := 0; ctx.Err() == nil; i++ {
		ksvc := &servingv1.Service{}
		if err := k8s.Get(ctx, key, ksvc); err != nil {
			if ctx.Err() == nil {
				t.Errorf("other writer: %v", err)
			}
			return last
		}
		value := fmt.Sprintf("r%d-%d", round, i)
		ksvc.Labels[otherLabel] = value
		switch err := k8s.Update(ctx, ksvc); {
		case err == nil:
			last = value
		case apierrors.IsConflict(err) || ctx.Err() != nil:
		default:
			t.Errorf("other writer: %v", err)
			return last
		}
	}
	return last
}
