package integration

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// historyDigest is a valid digest: 64 times the hex digit c.
func historyDigest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

// specBuildName is the Workflow knapp starts for the App's spec.build at
// revision.
func specBuildName(a *v1alpha1.App, revision string) string {
	x := a.DeepCopy()
	x.Spec.Build.Git.Revision = revision
	return resources.BuildWorkflowName(x, resources.BuildTrigger{Revision: revision, Source: resources.BuildTriggerSpec})
}

// waitForWorkflow waits until the Workflow exists and returns it.
func waitForWorkflow(t *testing.T, ns, name string) *wfv1.Workflow {
	t.Helper()
	return waitFor(t, client.ObjectKey{Namespace: ns, Name: name}, &wfv1.Workflow{}, func(*wfv1.Workflow) error { return nil })
}

// markBuildRunning sets a Workflow's phase to Running, as Argo's controller
// does when its first pod starts.
func markBuildRunning(t *testing.T, name, ns string) {
	t.Helper()
	eventually(t, "running build "+name, func(ctx context.Context) error {
		wf := &wfv1.Workflow{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, wf); err != nil {
			return err
		}
		wf.Status.Phase = wfv1.WorkflowRunning
		wf.Status.StartedAt = metav1.Now()
		return k8s.Update(ctx, wf)
	})
}

// historyIs waits until the App's build Workflows are want (newest first by
// knapp.dev/triggered-at) and the App's current status.build.builds lists
// exactly them, in that order. It returns the App.
func historyIs(t *testing.T, a *v1alpha1.App, want ...string) *v1alpha1.App {
	t.Helper()
	got := &v1alpha1.App{}
	eventually(t, fmt.Sprintf("builds of %s are %v", a.Name, want), func(ctx context.Context) error {
		wfs := buildsOf(t, a)
		sort.SliceStable(wfs, func(i, j int) bool { return triggerTime(t, &wfs[j]).Before(triggerTime(t, &wfs[i])) })
		var exist []string
		for _, wf := range wfs {
			exist = append(exist, wf.Name)
		}
		if !slices.Equal(exist, want) {
			return fmt.Errorf("the Workflows are %v", exist)
		}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(a), got); err != nil {
			return err
		}
		if got.Status.ObservedGeneration != got.Generation {
			return fmt.Errorf("observedGeneration %d, generation %d", got.Status.ObservedGeneration, got.Generation)
		}
		if got.Status.Build == nil {
			return fmt.Errorf("no status.build")
		}
		var listed []string
		for _, r := range got.Status.Build.Builds {
			listed = append(listed, r.Workflow)
		}
		if !slices.Equal(listed, want) {
			return fmt.Errorf("status.build.builds lists %v", listed)
		}
		return nil
	})
	return got
}

func triggerTime(t *testing.T, wf *wfv1.Workflow) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, wf.Annotations[v1alpha1.AnnotationBuildTriggeredAt])
	if err != nil {
		t.Fatalf("build %s: annotation %s: %v", wf.Name, v1alpha1.AnnotationBuildTriggeredAt, err)
	}
	return at
}

// buildReported checks that BuildSucceeded is status/reason and names the
// build.
func buildReported(status metav1.ConditionStatus, reason, build string) func(*v1alpha1.App) error {
	return func(a *v1alpha1.App) error {
		if err := conditionIs(v1alpha1.ConditionBuildSucceeded, status, reason)(a); err != nil {
			return err
		}
		if msg := a.Status.GetCondition(v1alpha1.ConditionBuildSucceeded).Message; !strings.Contains(msg, build) {
			return fmt.Errorf("BuildSucceeded %q does not name %s", msg, build)
		}
		return nil
	}
}

// imageIs checks the image the App's builds made.
func imageIs(image string) func(*v1alpha1.App) error {
	return func(a *v1alpha1.App) error {
		if a.Status.Build == nil || a.Status.Build.Image != image {
			return fmt.Errorf("status.build = %+v, want image %s", a.Status.Build, image)
		}
		return nil
	}
}

// With historyLimit 1, knapp deletes the finished builds beyond the newest
// one, and never the build the App runs, the build of the current spec or a
// running one; status.build.builds lists the builds that exist, newest
// first. A newer build stops the running one.
func TestBuildHistoryIsPrunedToTheLimit(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	a := newApp(ns, "shop", withBuild("r1"), func(a *v1alpha1.App) {
		limit := int32(1)
		a.Spec.Build.HistoryLimit = &limit
	})
	create(t, a)
	key := client.ObjectKeyFromObject(a)
	image := func(c byte) string { return a.Spec.Build.ImageRepository + "@" + historyDigest(c) }
	b := func(i int) string { return specBuildName(a, fmt.Sprintf("r%d", i)) }
	revise := func(i int) {
		t.Helper()
		updateApp(t, key, func(x *v1alpha1.App) { x.Spec.Build.Git.Revision = fmt.Sprintf("r%d", i) })
		waitForWorkflow(t, ns, b(i))
	}
	succeed := func(i int) {
		t.Helper()
		waitForWorkflow(t, ns, b(i))
		finishBuild(t, b(i), ns, wfv1.WorkflowSucceeded, historyDigest(byte('0'+i)), "")
		waitForApp(t, key, imageIs(image(byte('0'+i))))
	}
	fail := func(i int, message string) {
		t.Helper()
		finishBuild(t, b(i), ns, wfv1.WorkflowFailed, "", message)
		waitForApp(t, key, buildReported(metav1.ConditionFalse, "BuildFailed", b(i)))
	}

	succeed(1)
	historyIs(t, a, b(1))
	revise(2)
	succeed(2)
	historyIs(t, a, b(2), b(1))
	revise(3)
	succeed(3)
	historyIs(t, a, b(3), b(2)) // b1: beyond the limit

	// Failed builds: the App keeps running r3's image, and keeps its build
	// however old it gets.
	revise(4)
	fail(4, "child 'build' failed: exit code 1")
	historyIs(t, a, b(4), b(3), b(2)) // b4: the spec's; b3: deployed; b2: the one kept
	revise(5)
	fail(5, "child 'build' failed: exit code 2")
	historyIs(t, a, b(5), b(4), b(3)) // b2: beyond the limit
	waitForApp(t, key, imageIs(image('3')))

	// A running build is kept, and a newer one stops it.
	revise(6)
	markBuildRunning(t, b(6), ns)
	waitForApp(t, key, buildReported(metav1.ConditionUnknown, "Building", b(6)))
	historyIs(t, a, b(6), b(5), b(3)) // b4: beyond the limit
	revise(7)
	waitFor(t, client.ObjectKey{Namespace: ns, Name: b(6)}, &wfv1.Workflow{}, func(wf *wfv1.Workflow) error {
		if wf.Spec.Shutdown != wfv1.ShutdownStrategyTerminate {
			return fmt.Errorf("the superseded build's spec.shutdown is %q", wf.Spec.Shutdown)
		}
		return nil
	})
	if wf := waitForWorkflow(t, ns, b(7)); wf.Spec.Shutdown != "" {
		t.Errorf("the newest build %s has spec.shutdown %q", wf.Name, wf.Spec.Shutdown)
	}
	eventually(t, "a Superseded event", func(context.Context) error {
		for _, e := range eventsFor(t, a) {
			if e.Reason == "Superseded" && strings.Contains(e.Note, b(6)) && strings.Contains(e.Note, b(7)) {
				return nil
			}
		}
		return fmt.Errorf("no Superseded event naming %s and %s", b(6), b(7))
	})
	historyIs(t, a, b(7), b(6), b(5), b(3)) // b6: running still

	// Argo stops it.
	finishBuild(t, b(6), ns, wfv1.WorkflowFailed, "", "Stopped with strategy 'Terminate'")
	historyIs(t, a, b(7), b(6), b(3)) // b5: beyond the limit

	succeed(7)
	got := historyIs(t, a, b(7), b(6)) // b3: no longer deployed, beyond the limit
	recs := got.Status.Build.Builds
	if r := recs[0]; r.Revision != "r7" || r.Trigger != "spec" || r.Phase != "Succeeded" || r.Digest != historyDigest('7') || r.Message != "" || r.FinishedAt == nil {
		t.Errorf("record of the newest build: %+v", r)
	}
	if r := recs[1]; r.Revision != "r6" || r.Phase != "Failed" || r.Digest != "" || !strings.Contains(r.Message, "Terminate") {
		t.Errorf("record of the superseded build: %+v", r)
	}
	waitForApp(t, key, buildReported(metav1.ConditionTrue, "Succeeded", b(7)))
}
