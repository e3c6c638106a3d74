package integration

import (
	"context"
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// Each schedule becomes a PingSource (Eventing's real CRD) sinking to the
// App's Knative Service; an edit updates it, a removed entry deletes it,
// hand edits are restored, and a bad timezone is reported.
func TestSchedulesBecomePingSources(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	a := newApp(ns, "shop", func(x *v1alpha1.App) {
		x.Spec.Schedules = []v1alpha1.Schedule{
			{Name: "nightly", Schedule: "0 3 * * *", Timezone: "Europe/Berlin", Data: `{"job":"cleanup"}`},
			{Name: "hourly", Schedule: "0 * * * *"},
		}
	})
	create(t, a)
	key := client.ObjectKeyFromObject(a)
	nightly := client.ObjectKey{Namespace: ns, Name: "shop-nightly"}
	hourly := client.ObjectKey{Namespace: ns, Name: "shop-hourly"}

	ps := waitFor(t, nightly, &resources.PingSource{}, func(p *resources.PingSource) error { return nil })
	if ps.Spec.Schedule != "0 3 * * *" || ps.Spec.Timezone != "Europe/Berlin" || ps.Spec.Data != `{"job":"cleanup"}` ||
		ps.Spec.Sink.Ref == nil || ps.Spec.Sink.Ref.Kind != "Service" || ps.Spec.Sink.Ref.Name != "shop" || !metav1.IsControlledBy(ps, a) {
		t.Errorf("PingSource %s: %+v owners %v", ps.Name, ps.Spec, ps.OwnerReferences)
	}
	waitFor(t, hourly, &resources.PingSource{}, func(p *resources.PingSource) error {
		if p.Spec.Timezone != "UTC" {
			return fmt.Errorf("timezone %q, want UTC by default", p.Spec.Timezone)
		}
		return nil
	})
	waitForApp(t, key, conditionIs(v1alpha1.ConditionSchedulesReady, metav1.ConditionTrue, v1alpha1.ReasonReady))

	// A hand edit is restored.
	eventually(t, "editing the PingSource by hand", func(ctx context.Context) error {
		p := &resources.PingSource{}
		if err := k8s.Get(ctx, nightly, p); err != nil {
			return err
		}
		p.Spec.Schedule = "* * * * *"
		return k8s.Update(ctx, p)
	})
	waitFor(t, nightly, &resources.PingSource{}, func(p *resources.PingSource) error {
		if p.Spec.Schedule != "0 3 * * *" {
			return fmt.Errorf("schedule %q not restored", p.Spec.Schedule)
		}
		return nil
	})

	// Remove one entry: its PingSource goes, the other stays.
	updateApp(t, key, func(x *v1alpha1.App) { x.Spec.Schedules = x.Spec.Schedules[:1] })
	eventually(t, "the removed schedule's PingSource gone", func(ctx context.Context) error {
		err := k8s.Get(ctx, hourly, &resources.PingSource{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return errors.Join(errors.New("still there"), err)
	})
	if err := k8s.Get(context.Background(), nightly, &resources.PingSource{}); err != nil {
		t.Errorf("the kept schedule's PingSource: %v", err)
	}

	// A bad timezone is reported and changes nothing.
	updateApp(t, key, func(x *v1alpha1.App) { x.Spec.Schedules[0].Timezone = "Mars/Olympus_Mons" })
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionSchedulesReady, metav1.ConditionFalse, v1alpha1.ReasonInvalidSpec))
	if msg := got.Status.GetCondition(v1alpha1.ConditionSchedulesReady).Message; !contains(msg, "spec.schedules[0].timezone", "Mars/Olympus_Mons") {
		t.Errorf("message %q", msg)
	}
	p := &resources.PingSource{}
	if err := k8s.Get(context.Background(), nightly, p); err != nil || p.Spec.Timezone != "Europe/Berlin" {
		t.Errorf("an invalid schedule changed the PingSource: %v %+v", err, p.Spec)
	}

	// No schedules left: no PingSources, no condition.
	updateApp(t, key, func(x *v1alpha1.App) { x.Spec.Schedules = nil })
	waitForApp(t, key, func(x *v1alpha1.App) error {
		if c := x.Status.GetCondition(v1alpha1.ConditionSchedulesReady); c != nil {
			return fmt.Errorf("SchedulesReady still reported: %+v", c)
		}
		return nil
	})
	if err := k8s.Get(context.Background(), nightly, &resources.PingSource{}); !apierrors.IsNotFound(err) {
		t.Errorf("PingSource left after the schedules were removed (err %v)", err)
	}
}
