package tenancy

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingv1beta1 "knative.dev/serving/pkg/apis/serving/v1beta1"
)

// platformKeys are what a thief puts on its own Knative object to be given
// the victim's host by config-domain and the domain-template.
func platformKeys(name, host string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Labels:      map[string]string{v1alpha1.LabelApp: name, v1alpha1.LabelDomain: v1alpha1.LabelDomainValue},
		Annotations: map[string]string{v1alpha1.AnnotationHost: host},
	}
}

func plainService(ns, name string) *servingv1.Service {
	return &servingv1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: servingv1.ServiceSpec{ConfigurationSpec: servingv1.ConfigurationSpec{Template: servingv1.RevisionTemplateSpec{
			Spec: servingv1.RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Image: "registry.example.com/thief/app:1"}}}},
		}}},
	}
}

// A tenant cannot take another team's host: not by putting knapp's keys
// on a Knative object of its own (Service, Route, Configuration,
// DomainMapping), not by editing the keys knapp put on its own App's
// Service, not by writing its App's status (where claims live), not by
// touching the other team's namespace.
func TestATenantCannotTakeAnotherTeamsHost(t *testing.T) {
	ctx := context.Background()
	alice, bob := newTenant(t, "alice"), newTenant(t, "bob")
	shop := newVictim(t, alice, "shop", "shop-"+alice.namespace)
	own := newVictim(t, bob, "web", "web-"+bob.namespace)
	ownKey := client.ObjectKey{Namespace: bob.namespace, Name: "web"}

	actions := []struct {
		name   string
		attack func() error
		want   []string // fragments of the refusal
	}{
		{"a Service of its own with knapp's labels and host annotation", func() error {
			ksvc := plainService(bob.namespace, "thief")
			ksvc.ObjectMeta = platformKeys("thief", shop.host)
			ksvc.Namespace = bob.namespace
			return bob.client.Create(ctx, ksvc)
		}, []string{"metadata.labels[knapp.dev/app], metadata.labels[knapp.dev/domain]: only knapp may set or change this key on a Knative Service", bob.name}},
		{"a Service of its own with only the domain label", func() error {
			ksvc := plainService(bob.namespace, "thief2")
			ksvc.Labels = map[string]string{v1alpha1.LabelDomain: v1alpha1.LabelDomainValue}
			return bob.client.Create(ctx, ksvc)
		}, []string{"metadata.labels[knapp.dev/domain]"}},
		{"a Service of its own with only the host annotation", func() error {
			ksvc := plainService(bob.namespace, "thief3")
			ksvc.Annotations = map[string]string{v1alpha1.AnnotationHost: shop.host}
			return bob.client.Create(ctx, ksvc)
		}, []string{"metadata.annotations[knapp.dev/host]"}},
		{"the keys added to a Service it made without them", func() error {
			ksvc := plainService(bob.namespace, "plain")
			if err := bob.client.Create(ctx, ksvc); err != nil {
				t.Fatalf("a plain Service of its own must be allowed: %v", err)
			}
			patch := client.MergeFrom(ksvc.DeepCopy())
			if ksvc.Annotations == nil {
				ksvc.Annotations = map[string]string{}
			}
			ksvc.Annotations[v1alpha1.AnnotationHost] = shop.host
			return bob.client.Patch(ctx, ksvc, patch)
		}, []string{"metadata.annotations[knapp.dev/host]", "Service"}},
		{"a Route of its own with the keys", func() error {
			route := &servingv1.Route{ObjectMeta: platformKeys("thief", shop.host)}
			route.Namespace = bob.namespace
			return bob.client.Create(ctx, route)
		}, []string{"on a Knative Route"}},
		{"a Configuration of its own with the keys", func() error {
			cfg := &servingv1.Configuration{ObjectMeta: platformKeys("thief", shop.host), Spec: plainService("", "").Spec.ConfigurationSpec}
			cfg.Namespace = bob.namespace
			return bob.client.Create(ctx, cfg)
		}, []string{"on a Knative Configuration"}},
		{"a DomainMapping with the keys", func() error {
			dm := &servingv1beta1.DomainMapping{ObjectMeta: platformKeys("shop.example.com", shop.host),
				Spec: servingv1beta1.DomainMappingSpec{Ref: duckKReference(bob.namespace, "web")}}
			dm.Namespace = bob.namespace
			return bob.client.Create(ctx, dm)
		}, []string{"on a Knative DomainMapping"}},
		{"its own App's Service given the victim's host", func() error {
			ksvc := &servingv1.Service{}
			if err := bob.client.Get(ctx, ownKey, ksvc); err != nil {
				return err
			}
			patch := client.MergeFrom(ksvc.DeepCopy())
			ksvc.Annotations[v1alpha1.AnnotationHost] = shop.host
			return bob.client.Patch(ctx, ksvc, patch)
		}, []string{"metadata.annotations[knapp.dev/host]"}},
		{"its own App's Service stripped of knapp's app label", func() error {
			ksvc := &servingv1.Service{}
			if err := bob.client.Get(ctx, ownKey, ksvc); err != nil {
				return err
			}
			patch := client.MergeFrom(ksvc.DeepCopy())
			delete(ksvc.Labels, v1alpha1.LabelApp)
			return bob.client.Patch(ctx, ksvc, patch)
		}, []string{"metadata.labels[knapp.dev/app]"}},
		{"its own App's status backdated to claim the host first", func() error {
			a := &v1alpha1.App{}
			if err := bob.client.Get(ctx, ownKey, a); err != nil {
				return err
			}
			patch := client.MergeFrom(a.DeepCopy())
			a.Status.Domain = &v1alpha1.DomainStatus{Host: shop.seen.Domain.Host, ClaimedAt: metav1.NewTime(time.Unix(0, 0))}
			return bob.client.Status().Patch(ctx, a, patch)
		}, []string{"apps/status", "forbidden"}},
		{"an App in the other team's namespace", func() error {
			return bob.client.Create(ctx, &v1alpha1.App{
				ObjectMeta: metav1.ObjectMeta{Namespace: alice.namespace, Name: "shop2"},
				Spec:       v1alpha1.AppSpec{Image: "registry.example.com/thief/app:1"},
			})
		}, []string{"forbidden", alice.namespace}},
		{"the other team's App edited", func() error {
			a := &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: alice.namespace, Name: "shop"}}
			return bob.client.Patch(ctx, a, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"image":"evil.example.com/backdoor:1"}}`)))
		}, []string{"forbidden"}},
		{"a reserved host name squatted", func() error {
			return bob.client.Create(ctx, &v1alpha1.App{
				ObjectMeta: metav1.ObjectMeta{Namespace: bob.namespace, Name: "web2"},
				Spec:       v1alpha1.AppSpec{Image: "registry.example.com/thief/app:1", Domain: &v1alpha1.Domain{Name: "login"}},
			})
		}, []string{"spec.domain.name: Forbidden: the host name login is reserved by the platform"}},
		{"the other team's Service edited", func() error {
			ksvc := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: alice.namespace, Name: "shop"}}
			return bob.client.Patch(ctx, ksvc, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"annotations":{"knapp.dev/host":"taken"}}}`)))
		}, []string{"forbidden"}},
	}
	for _, a := range actions {
		assertRefused(t, a.name, a.attack(), a.want...)
		shop.assertUnchanged(t, a.name)
		own.assertUnchanged(t, a.name)
	}

	// The App's status written through the main resource is ignored (the
	// CRD has a status subresource): the claim stays knapp's.
	a := &v1alpha1.App{}
	if err := bob.client.Get(ctx, ownKey, a); err != nil {
		t.Fatal(err)
	}
	a.Status.Domain = &v1alpha1.DomainStatus{Host: shop.seen.Domain.Host, ClaimedAt: metav1.NewTime(time.Unix(0, 0))}
	if err := bob.client.Update(ctx, a); err != nil {
		t.Fatalf("an update of its own App: %v", err)
	}
	shop.assertUnchanged(t, "a status written through the App's main resource")
	own.assertUnchanged(t, "a status written through the App's main resource")
}

func duckKReference(ns, name string) duckv1.KReference {
	return duckv1.KReference{APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service", Namespace: ns, Name: name}
}
