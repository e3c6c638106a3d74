package tenancy

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// A tenant cannot hand Argo's workflow controller, which every team
// shares, a template or an expression to evaluate through a build field:
// each is refused at admission, naming the field.
func TestATenantCannotSmuggleArgoExpressionsIntoBuilds(t *testing.T) {
	ctx := context.Background()
	alice, bob := newTenant(t, "alice"), newTenant(t, "bob")
	shop := newVictim(t, alice, "shop", "shop-"+alice.namespace)
	build := func(name string, f func(*v1alpha1.BuildSpec)) *v1alpha1.App {
		a := &v1alpha1.App{
			ObjectMeta: metav1.ObjectMeta{Namespace: bob.namespace, Name: name},
			Spec: v1alpha1.AppSpec{Build: &v1alpha1.BuildSpec{
				Git:             v1alpha1.GitSource{URL: "https://git.example.com/" + bob.namespace + "/api.git"},
				ImageRepository: "registry.example.com/" + bob.namespace + "/api",
			}},
		}
		f(a.Spec.Build)
		return a
	}
	actions := []struct {
		name, field string
		app         *v1alpha1.App
	}{
		{"a revision that is an Argo expression", "spec.build.git.revision",
			build("expr", func(b *v1alpha1.BuildSpec) { b.Git.Revision = "{{=sprig.repeat(99,'a')}}" })},
		{"a Dockerfile path that is an Argo template", "spec.build.dockerfile",
			build("tmpl", func(b *v1alpha1.BuildSpec) { b.Dockerfile = "{{workflow.serviceAccountName}}" })},
		{"a hook branch that is an Argo expression", "spec.build.hook.branch",
			build("hook", func(b *v1alpha1.BuildSpec) { b.Hook = &v1alpha1.BuildHook{SecretName: "hook", Branch: "{{=1}}"} })},
	}
	for _, a := range actions {
		assertRefused(t, a.name, bob.client.Create(ctx, a.app), a.field+": Invalid value", "must not contain {{ or }}")
		shop.assertUnchanged(t, a.name)
	}
}
