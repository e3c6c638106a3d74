package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// Two Apps in two namespaces ask for one host and are created at the same
// moment, so knapp's parallel workers reconcile them together, each maybe
// before its cache has the other's claim. Whatever the order, exactly one
// holds the host in the end, the other names it as the holder, and only the
// holder's Knative Service asks Knative for the host. Several rounds, since
// one may happen to run the two reconciles one after the other.
func TestConcurrentClaimsOfOneHost(t *testing.T) {
	t.Parallel()
	for round := range 3 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			nsA, nsB := newNamespace(t, nil), newNamespace(t, nil)
			label := "claimed-" + nsA // unique to this run
			shared := func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: label} }
			apps := []*v1alpha1.App{newApp(nsA, "shop", shared), newApp(nsB, "shop", shared)}
			var wg sync.WaitGroup
			errs := make([]error, len(apps))
			for i, a := range apps {
				wg.Go(func() { errs[i] = k8s.Create(context.Background(), a) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("creating App %s: %v", client.ObjectKeyFromObject(apps[i]), err)
				}
			}

			eventually(t, "exactly one App holding "+label, func(ctx context.Context) error {
				return oneHolder(ctx, apps, label)
			})
		})
	}
}

// The outcome of the race above, made on purpose: the App waiting for a
// host claims it too, as a reconcile whose cache had not seen the holder's
// claim would (its status written here, as that reconcile would have). The
// later claim must yield, and the first holder keep the host.
func TestALateClaimYields(t *testing.T) {
	t.Parallel()
	holderNS := newNamespace(t, nil)
	label := "late-" + holderNS
	shared := func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: label} }
	holder := newApp(holderNS, "shop", shared)
	create(t, holder)
	held := waitForApp(t, client.ObjectKeyFromObject(holder), conditionIs(v1alpha1.ConditionDomainReady, metav1.ConditionTrue, v1alpha1.ReasonReady))
	late := newApp(newNamespace(t, nil), "shop", shared)
	create(t, late)
	waitForApp(t, client.ObjectKeyFromObject(late), conditionIs(v1alpha1.ConditionDomainReady, metav1.ConditionFalse, v1alpha1.ReasonDomainConflict))

	eventually(t, "writing the late App's claim", func(ctx context.Context) error {
		got := &v1alpha1.App{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(late), got); err != nil {
			return err
		}
		host := label + ".sls-local.knapp.example.com"
		// Claims are kept to the second: one second after the holder's, so
		// that this claim is the later one, not a tie.
		got.Status.Domain = &v1alpha1.DomainStatus{Host: host, ClaimedAt: metav1.NewTime(held.Status.Domain.ClaimedAt.Add(time.Second))}
		got.Status.MarkDomainReady(host)
		return k8s.Status().Update(ctx, got)
	})
	eventually(t, "exactly one App holding "+label, func(ctx context.Context) error {
		if err := oneHolder(ctx, []*v1alpha1.App{holder, late}, label); err != nil {
			return err
		}
		got := &v1alpha1.App{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(late), got); err != nil {
			return err
		}
		if got.Status.DomainConflict == nil {
			return fmt.Errorf("the late App holds the host")
		}
		return nil
	})
}

// oneHolder checks that exactly one of apps holds the host label: its
// DomainReady is True and status.domain names the host; the other's is
// DomainConflict naming the holder in status.domainConflict; only the
// holder's Knative Service carries the host annotation.
func oneHolder(ctx context.Context, apps []*v1alpha1.App, label string) error {
	var holders, waiting []*v1alpha1.App
	for _, a := range apps {
		got := &v1alpha1.App{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(a), got); err != nil {
			return err
		}
		if got.Status.ObservedGeneration != got.Generation {
			return fmt.Errorf("App %s not reconciled yet", client.ObjectKeyFromObject(got))
		}
		c := got.Status.GetCondition(v1alpha1.ConditionDomainReady)
		switch {
		case c == nil:
			return fmt.Errorf("App %s has no DomainReady", client.ObjectKeyFromObject(got))
		case c.Status == metav1.ConditionTrue && got.Status.Domain != nil && got.Status.DomainConflict == nil:
			holders = append(holders, got)
		case c.Status == metav1.ConditionFalse && c.Reason == v1alpha1.ReasonDomainConflict && got.Status.Domain == nil && got.Status.DomainConflict != nil:
			waiting = append(waiting, got)
		default:
			return fmt.Errorf("App %s: DomainReady %s/%s, status.domain %+v, status.domainConflict %+v",
				client.ObjectKeyFromObject(got), c.Status, c.Reason, got.Status.Domain, got.Status.DomainConflict)
		}
	}
	if len(holders) != 1 || len(waiting) != len(apps)-1 {
		return fmt.Errorf("%d Apps hold the host and %d wait, want 1 and %d", len(holders), len(waiting), len(apps)-1)
	}
	holder := client.ObjectKeyFromObject(holders[0]).String()
	for _, w := range waiting {
		if w.Status.DomainConflict.HeldBy != holder {
			return fmt.Errorf("App %s says %s holds the host, but %s does", client.ObjectKeyFromObject(w), w.Status.DomainConflict.HeldBy, holder)
		}
	}
	for _, a := range append(holders, waiting...) {
		ksvc := &servingv1.Service{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(a), ksvc); err != nil {
			return fmt.Errorf("Knative Service of %s: %w", client.ObjectKeyFromObject(a), err)
		}
		annotated := ksvc.Annotations[v1alpha1.AnnotationHost] == label
		if isHolder := client.ObjectKeyFromObject(a).String() == holder; annotated != isHolder {
			return fmt.Errorf("Knative Service %s: host annotation %q, holder %v", client.ObjectKeyFromObject(ksvc), ksvc.Annotations[v1alpha1.AnnotationHost], isHolder)
		}
	}
	return nil
}

// A Knative Route that is not the App's but is served at the App's host (one
// made past admission, say on a cluster without knapp's policies) is
// noticed wherever it is: DomainReady turns False naming it, and True again
// once it is gone.
func TestARouteServedAtTheAppsHostIsReported(t *testing.T) {
	t.Parallel()
	a := newApp(newNamespace(t, nil), "shop")
	create(t, a)
	held := waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionDomainReady, metav1.ConditionTrue, v1alpha1.ReasonReady))

	thiefNS := newNamespace(t, nil)
	route := &servingv1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: thiefNS, Name: "thief"}}
	create(t, route)
	eventually(t, "the thief's Route served at "+held.Status.Domain.Host, func(ctx context.Context) error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(route), route); err != nil {
			return err
		}
		route.Status.URL = &apis.URL{Scheme: "http", Host: held.Status.Domain.Host}
		return k8s.Status().Update(ctx, route)
	})
	got := waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionDomainReady, metav1.ConditionFalse, v1alpha1.ReasonHostServedElsewhere))
	if c := got.Status.GetCondition(v1alpha1.ConditionDomainReady); !strings.Contains(c.Message, "Knative Route "+thiefNS+"/thief") {
		t.Errorf("DomainReady %q does not name the Route", c.Message)
	}
	if got.Status.Domain == nil || got.Status.Domain.Host != held.Status.Domain.Host {
		t.Errorf("the App no longer holds its host: %+v", got.Status.Domain)
	}

	if err := k8s.Delete(context.Background(), route); err != nil {
		t.Fatal(err)
	}
	waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionDomainReady, metav1.ConditionTrue, v1alpha1.ReasonReady))
}
