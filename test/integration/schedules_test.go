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
	"knative.dev/pkg/apis"
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

// A PingSource of the name a schedule's would have that is someone else's
// is reported in SchedulesReady, with the other schedules made, and is
// never taken over.
func TestScheduleNameTakenByAForeignPingSource(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	foreign := &resources.PingSource{
		TypeMeta:   metav1.TypeMeta{APIVersion: resources.PingSourceGroupVersion.String(), Kind: "PingSource"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop-nightly", Labels: map[string]string{"team": "other"}},
		Spec:       resources.PingSourceSpec{Schedule: "*/5 * * * *"},
	}
	foreign.Spec.Sink.URI = apis.HTTP("other.example.com")
	create(t, foreign)
	a := newApp(ns, "shop", func(x *v1alpha1.App) {
		x.Spec.Schedules = []v1alpha1.Schedule{{Name: "nightly", Schedule: "0 3 * * *"}, {Name: "hourly", Schedule: "0 * * * *"}}
	})
	create(t, a)

	got := waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionSchedulesReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned))
	if msg := got.Status.GetCondition(v1alpha1.ConditionSchedulesReady).Message; !contains(msg, "PingSource named shop-nightly", ns, "does not belong") {
		t.Errorf("message %q should name the PingSource", msg)
	}
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "shop-hourly"}, &resources.PingSource{}, func(p *resources.PingSource) error {
		if !metav1.IsControlledBy(p, a) {
			return fmt.Errorf("owners %v", p.OwnerReferences)
		}
		return nil
	})
	kept := &resources.PingSource{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(foreign), kept); err != nil {
		t.Fatal(err)
	}
	if kept.Spec.Schedule != "*/5 * * * *" || len(kept.OwnerReferences) != 0 || kept.Labels["team"] != "other" {
		t.Errorf("the foreign PingSource changed: %+v, owners %v, labels %v", kept.Spec, kept.OwnerReferences, kept.Labels)
	}
}
