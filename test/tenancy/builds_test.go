package tenancy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
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

	// Nor push into the other team's repository, nor build with a
	// ClusterWorkflowTemplate the platform did not give Apps.
	into := build("into", func(b *v1alpha1.BuildSpec) { b.ImageRepository = "registry.example.com/" + alice.namespace + "/shop" })
	assertRefused(t, "a build pushing to the other team's repository", bob.client.Create(ctx, into),
		"spec.build.imageRepository: Invalid value", "must start with registry.example.com/"+bob.namespace+"/")
	shop.assertUnchanged(t, "a build pushing to the other team's repository")
	other := build("other", func(b *v1alpha1.BuildSpec) {
		b.TemplateRef = &v1alpha1.TemplateRef{Name: "cluster-admin-tools", ClusterScope: true}
	})
	assertRefused(t, "a build with a ClusterWorkflowTemplate the platform does not allow", bob.client.Create(ctx, other),
		"spec.build.templateRef.name: Forbidden: ClusterWorkflowTemplate cluster-admin-tools is not one the platform allows")
	shop.assertUnchanged(t, "a build with another ClusterWorkflowTemplate")
}

// A tenant who may write Workflows in its namespace (Argo's edit role)
// cannot make one that passes for an App's build, nor change knapp's own
// build (its status, where the digest the App runs comes from): knapp's
// policy refuses both, naming the label.
func TestATenantCannotForgeABuild(t *testing.T) {
	ctx := context.Background()
	alice, bob := newTenant(t, "alice"), newTenant(t, "bob")
	shop := newVictim(t, alice, "shop", "shop-"+alice.namespace)
	api := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: bob.namespace, Name: "api"},
		Spec: v1alpha1.AppSpec{Build: &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: "https://git.example.com/" + bob.namespace + "/api.git"},
			ImageRepository: "registry.example.com/" + bob.namespace + "/api",
		}},
	}
	if err := bob.client.Create(ctx, api); err != nil {
		t.Fatal(err)
	}
	var build wfv1.Workflow
	eventually(t, "knapp's build of "+bob.namespace+"/api", func(ctx context.Context) error {
		list := &wfv1.WorkflowList{}
		if err := admin.List(ctx, list, client.InNamespace(bob.namespace), client.MatchingLabels{v1alpha1.LabelApp: "api"}); err != nil {
			return err
		}
		if len(list.Items) != 1 {
			return fmt.Errorf("%d builds", len(list.Items))
		}
		build = list.Items[0]
		return nil
	})
	stored := &v1alpha1.App{}
	if err := admin.Get(ctx, client.ObjectKeyFromObject(api), stored); err != nil {
		t.Fatal(err)
	}
	const refusal = "metadata.labels[knapp.dev/app]: Workflows with this label are knapp's builds"

	forged := resources.MakeBuildWorkflow(stored, resources.BuildTrigger{Revision: "main", Source: resources.BuildTriggerHook}, platform.Default())
	forged.Name = "api-forged"
	forged.Annotations[v1alpha1.AnnotationBuildTriggeredAt] = "2099-01-01T00:00:00Z"
	assertRefused(t, "a Workflow labelled as the App's build", bob.client.Create(ctx, forged), refusal, bob.name)
	shop.assertUnchanged(t, "a forged build")

	done := build.DeepCopy()
	done.Status.Phase = wfv1.WorkflowSucceeded
	done.Status.Outputs = &wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: resources.DigestParameter, GlobalName: resources.DigestParameter,
		Value: wfv1.AnyStringPtr("sha256:" + strings.Repeat("e", 64))}}}
	assertRefused(t, "knapp's build reported Succeeded by the tenant", bob.client.Update(ctx, done), refusal)
	shop.assertUnchanged(t, "a build's status written by a tenant")

	relabelled := build.DeepCopy()
	delete(relabelled.Labels, v1alpha1.LabelApp)
	assertRefused(t, "knapp's label taken off its build", bob.client.Update(ctx, relabelled), refusal)

	// A Workflow of the tenant's own, without knapp's label, is its business.
	own := &wfv1.Workflow{
		ObjectMeta: metav1.ObjectMeta{Namespace: bob.namespace, Name: "nightly-report"},
		Spec:       wfv1.WorkflowSpec{WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: "report"}},
	}
	if err := bob.client.Create(ctx, own); err != nil {
		t.Errorf("a Workflow of the tenant's own: %v", err)
	}
	shop.assertUnchanged(t, "a Workflow of the tenant's own")
}
