package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/test/testenv"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

const (
	digestA = "sha256:" + "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	digestB = "sha256:" + "0f9e8d7c6b5a49382716f5e4d3c2b1a00f9e8d7c6b5a49382716f5e4d3c2b1a0"
)

// installBuildTemplate creates the platform's default ClusterWorkflowTemplate
// from config/build, once: Argo's real CRD must accept it.
func installBuildTemplate(t *testing.T) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config", "build", "knapp-build.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &wfv1.ClusterWorkflowTemplate{}
	if err := yaml.UnmarshalStrict(data, tmpl); err != nil {
		t.Fatalf("config/build/knapp-build.yaml: %v", err)
	}
	if err := k8s.Create(context.Background(), tmpl); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("the apiserver refused the build template: %v", err)
	}
}

func withBuild(revision string) func(*v1alpha1.App) {
	return func(a *v1alpha1.App) {
		a.Spec.Image = ""
		a.Spec.Build = &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: "https://git.example.com/team-a/shop.git", Revision: revision},
			ImageRepository: "registry.example.com/team-a/shop",
		}
	}
}

// buildsOf lists the App's build Workflows.
func buildsOf(t *testing.T, a *v1alpha1.App) []wfv1.Workflow {
	t.Helper()
	list := &wfv1.WorkflowList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(a.Namespace), client.MatchingLabels{v1alpha1.LabelApp: a.Name}); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitForBuilds waits until the App has n build Workflows and returns them.
func waitForBuilds(t *testing.T, a *v1alpha1.App, n int) []wfv1.Workflow {
	t.Helper()
	var got []wfv1.Workflow
	eventually(t, fmt.Sprintf("%d build(s) of %s", n, a.Name), func(context.Context) error {
		got = buildsOf(t, a)
		if len(got) != n {
			return fmt.Errorf("%d builds", len(got))
		}
		return nil
	})
	return got
}

// finishBuild sets a Workflow's status as Argo's controller would.
func finishBuild(t *testing.T, name, ns string, phase wfv1.WorkflowPhase, digest, message string) {
	t.Helper()
	eventually(t, "finishing build "+name, func(ctx context.Context) error {
		wf := &wfv1.Workflow{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, wf); err != nil {
			return err
		}
		wf.Status.Phase = phase
		wf.Status.Message = message
		wf.Status.StartedAt = metav1.Now()
		wf.Status.FinishedAt = metav1.Now()
		if digest != "" {
			value := wfv1.AnyStringPtr(digest)
			wf.Status.Outputs = &wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: "image-digest", Value: value, GlobalName: "image-digest"}}}
		}
		return k8s.Update(ctx, wf)
	})
}

// A build from spec: one Workflow, owned by the App, from the platform's
// template; its success rolls the Service to the digest; a failed build
// leaves the running image alone; a restarted knapp starts nothing twice.
func TestBuildFromSpecDeploysTheDigest(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	a := newApp(ns, "shop", withBuild("main"))
	create(t, a)
	key := client.ObjectKeyFromObject(a)

	builds := waitForBuilds(t, a, 1)
	wf := builds[0]
	if !metav1.IsControlledBy(&wf, a) || wf.Labels["knapp.dev/build-trigger"] != "spec" || wf.Spec.WorkflowTemplateRef == nil || wf.Spec.WorkflowTemplateRef.Name != "knapp-build" {
		t.Errorf("build Workflow %s: owner %v labels %v template %+v", wf.Name, wf.OwnerReferences, wf.Labels, wf.Spec.WorkflowTemplateRef)
	}
	waitForApp(t, key, conditionIs(v1alpha1.ConditionServiceReady, metav1.ConditionUnknown, "WaitingForBuild"))

	// A knapp that restarts mid-build (a new reconciler, nothing in memory)
	// starts no second build.
	fresh := &app.Reconciler{Client: reconciler.Client, APIReader: reconciler.APIReader, Recorder: reconciler.Recorder, Platform: reconciler.Platform}
	for range 2 {
		if _, err := fresh.Reconcile(context.Background(), reconcile.Request{NamespacedName: key}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(buildsOf(t, a)); n != 1 {
		t.Fatalf("a restarted knapp made %d builds of one revision", n)
	}

	finishBuild(t, wf.Name, ns, wfv1.WorkflowSucceeded, digestA, "")
	image := "registry.example.com/team-a/shop@" + digestA
	waitForService(t, key, func(s *servingv1.Service) error {
		if got := s.Spec.Template.Spec.Containers[0].Image; got != image {
			return fmt.Errorf("image %q", got)
		}
		return nil
	})
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionTrue, "Succeeded"))
	if got.Status.Build == nil || got.Status.Build.Image != image || len(got.Status.Build.Builds) != 1 || got.Status.Build.Builds[0].Digest != digestA {
		t.Errorf("status.build = %+v", got.Status.Build)
	}

	// A new revision builds once more; its failure keeps the image running.
	updateApp(t, key, func(x *v1alpha1.App) { x.Spec.Build.Git.Revision = "release-2" })
	builds = waitForBuilds(t, a, 2)
	second := otherBuild(builds, wf.Name)
	finishBuild(t, second.Name, ns, wfv1.WorkflowFailed, "", "child 'build' failed: exit code 1")
	got = waitForApp(t, key, conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionFalse, "BuildFailed"))
	if msg := got.Status.GetCondition(v1alpha1.ConditionBuildSucceeded).Message; !contains(msg, second.Name, "exit code 1") {
		t.Errorf("message %q should carry Argo's", msg)
	}
	s := &servingv1.Service{}
	if err := k8s.Get(context.Background(), key, s); err != nil || s.Spec.Template.Spec.Containers[0].Image != image {
		t.Errorf("a failed build changed the running image: %v %v", err, s.Spec.Template.Spec.Containers)
	}
}

// A build whose digest output is not a digest deploys nothing.
func TestBuildWithInvalidDigestDeploysNothing(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	a := newApp(ns, "shop", withBuild("main"))
	create(t, a)
	wf := waitForBuilds(t, a, 1)[0]
	finishBuild(t, wf.Name, ns, wfv1.WorkflowSucceeded, "sha256:not-a-digest", "")
	got := waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionFalse, "InvalidDigest"))
	if msg := got.Status.GetCondition(v1alpha1.ConditionBuildSucceeded).Message; !contains(msg, "image-digest") {
		t.Errorf("message %q should name the output", msg)
	}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(a), &servingv1.Service{}); !apierrors.IsNotFound(err) {
		t.Errorf("a Knative Service was made from an invalid digest (err %v)", err)
	}
}

// What a build needs and does not have is reported, and no build starts.
func TestBuildPrerequisitesAreReported(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	tests := []struct {
		name       string
		edit       func(*v1alpha1.App)
		wantReason string
		wantText   []string
	}{
		{"template does not exist", func(a *v1alpha1.App) {
			a.Spec.Build.TemplateRef = &v1alpha1.TemplateRef{Name: "no-such-template"}
		}, "TemplateNotFound", []string{"WorkflowTemplate", "no-such-template"}},
		{"registry secret does not exist", func(a *v1alpha1.App) {
			a.Spec.Build.RegistrySecretName = "no-such-secret"
		}, "SecretNotFound", []string{"spec.build.registrySecretName", "no-such-secret"}},
		{"malformed git url", func(a *v1alpha1.App) {
			a.Spec.Build.Git.URL = "git.example.com shop"
		}, v1alpha1.ReasonInvalidSpec, []string{"spec.build.git.url"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := newNamespace(t, nil)
			a := newApp(ns, "shop", withBuild("main"), tc.edit)
			create(t, a)
			got := waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionFalse, tc.wantReason))
			if msg := got.Status.GetCondition(v1alpha1.ConditionBuildSucceeded).Message; !contains(msg, tc.wantText...) {
				t.Errorf("message %q should contain %q", msg, tc.wantText)
			}
			if n := len(buildsOf(t, a)); n != 0 {
				t.Errorf("%d builds started", n)
			}
		})
	}
}

// otherBuild is the build that is not named name.
func otherBuild(builds []wfv1.Workflow, name string) wfv1.Workflow {
	for _, wf := range builds {
		if wf.Name != name {
			return wf
		}
	}
	return wfv1.Workflow{}
}
