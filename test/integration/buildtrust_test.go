package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// A Workflow made to look like one of the App's builds (its label, a
// controller reference to the App, a trigger in 2099, another image
// repository, Succeeded with a digest), as someone who may write Workflows
// could make it past admission on a cluster without knapp's policy: the App
// never runs its image, keeps running its own build's, BuildSucceeded and a
// Warning event name the forgery while it runs, and knapp deletes it once
// it has finished.
func TestAForgedBuildIsNeverDeployed(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	a := newApp(ns, "api", withBuild("main"))
	create(t, a)
	own := waitForBuilds(t, a, 1)[0]
	finishBuild(t, own.Name, ns, wfv1.WorkflowSucceeded, digestA, "")
	ownImage := "registry.example.com/team-a/shop@" + digestA
	runs := func(ksvc *servingv1.Service) error {
		if image := ksvc.Spec.Template.Spec.Containers[0].Image; image != ownImage {
			return fmt.Errorf("the Service runs %s", image)
		}
		return nil
	}
	waitForService(t, client.ObjectKeyFromObject(a), runs)

	stored := &v1alpha1.App{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(a), stored); err != nil {
		t.Fatal(err)
	}
	forged := resources.MakeBuildWorkflow(stored, resources.BuildTrigger{Revision: "main", Source: resources.BuildTriggerHook}, platform.Default())
	forged.Name = "api-forged"
	forged.Annotations[v1alpha1.AnnotationBuildTriggeredAt] = "2099-01-01T00:00:00Z"
	for i := range forged.Spec.Arguments.Parameters {
		if forged.Spec.Arguments.Parameters[i].Name == resources.BuildParamImageRepository {
			forged.Spec.Arguments.Parameters[i].Value = wfv1.AnyStringPtr("evil.example.com/attacker/backdoor")
		}
	}
	create(t, forged)
	eventually(t, "the forged build running", func(ctx context.Context) error {
		wf := &wfv1.Workflow{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(forged), wf); err != nil {
			return err
		}
		wf.Status.Phase = wfv1.WorkflowRunning
		return k8s.Update(ctx, wf)
	})

	// While it runs: reported, and the App's own build stays the newest
	// (the forgery's trigger in 2099 does not stop it as superseded).
	got := waitForApp(t, client.ObjectKeyFromObject(a), func(x *v1alpha1.App) error {
		c := x.Status.GetCondition(v1alpha1.ConditionBuildSucceeded)
		if c == nil || c.Reason != v1alpha1.ReasonUntrustedBuild {
			return fmt.Errorf("BuildSucceeded %+v", c)
		}
		return nil
	})
	if c := got.Status.GetCondition(v1alpha1.ConditionBuildSucceeded); !strings.Contains(c.Message, "api-forged: it does not push to spec.build.imageRepository") {
		t.Errorf("BuildSucceeded does not name the forgery: %q", c.Message)
	}
	if got.Status.Build.Image != ownImage {
		t.Errorf("status.build.image %q, want the App's own build's %q", got.Status.Build.Image, ownImage)
	}
	if !recorder.has(client.ObjectKeyFromObject(a), v1alpha1.ReasonUntrustedBuild) {
		t.Error("no UntrustedBuild event")
	}

	// Reported Succeeded with a digest: never deployed, deleted.
	finishBuild(t, forged.Name, ns, wfv1.WorkflowSucceeded, digestB, "")
	eventually(t, "the forged build deleted", func(ctx context.Context) error {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(forged), &wfv1.Workflow{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (%v)", err)
	})
	waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionTrue, v1alpha1.ReasonBuildSucceeded))
	ksvc := &servingv1.Service{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(a), ksvc); err != nil {
		t.Fatal(err)
	}
	if err := runs(ksvc); err != nil {
		t.Errorf("%v, want %s", err, ownImage)
	}
}
