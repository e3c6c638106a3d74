package app

import (
	"context"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// drain returns the events the fake recorder holds.
func drain(rec *events.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// Every build Workflow knapp deletes or re-stamps is an event on the App,
// as every other child write is.
func TestBuildWritesEmitEvents(t *testing.T) {
	ctx := context.Background()
	app := buildTestApp("main")
	app.Spec.Build.HistoryLimit = buildTestLimit(1)
	builds, _ := pruneTestBuilds(app, wfv1.WorkflowRunning)
	rec := events.NewFakeRecorder(20)
	r := &Reconciler{Client: buildTestClient(t, nil, builds...), Recorder: rec}
	workflows, err := r.buildWorkflows(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	specName := resources.BuildWorkflowName(app, specTrigger(app.Spec.Build))
	if err := r.retriggerBuild(ctx, app, workflows, specName); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pruneBuilds(ctx, app, workflows, specName); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(drain(rec), "\n")
	for _, want := range []string{
		"Normal Updated Build " + specName + " (Failed) is the spec's build again",
		"Normal Deleted Deleted build shop-u-error (Error): beyond spec.build.historyLimit 1",
		"Normal Deleted Deleted build shop-v-failed (Failed)",
		"Normal Deleted Deleted build shop-w-invalid (Succeeded)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no event %q in\n%s", want, got)
		}
	}
}

// A part condition that changes is an event, and so is one that goes away.
func TestRecordConditionChanges(t *testing.T) {
	app := buildTestApp("main")
	before := []metav1.Condition{
		{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Ready"},
		{Type: v1alpha1.ConditionServiceReady, Status: metav1.ConditionTrue, Reason: "Ready", Message: "ok"},
		{Type: v1alpha1.ConditionLogsReady, Status: metav1.ConditionTrue, Reason: "Ready", Message: "ok"},
		{Type: v1alpha1.ConditionDomainReady, Status: metav1.ConditionTrue, Reason: "Ready", Message: "ok"},
	}
	app.Status.Conditions = []metav1.Condition{
		{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonInvalidSpec},
		{Type: v1alpha1.ConditionServiceReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonInvalidSpec, Message: "bad"},
		{Type: v1alpha1.ConditionDomainReady, Status: metav1.ConditionTrue, Reason: "Ready", Message: "ok"},
	}
	rec := events.NewFakeRecorder(10)
	(&Reconciler{Recorder: rec}).recordConditionChanges(app, before)
	got := drain(rec)
	want := []string{
		"Normal ConditionRemoved LogsReady: removed, the App no longer asks for this part (it was True, Ready)",
		"Warning InvalidSpec ServiceReady: bad",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// actionRecorder records each event's reason and action.
type actionRecorder struct{ got []string }

func (r *actionRecorder) Eventf(_ runtime.Object, _ runtime.Object, _, reason, action, _ string, _ ...any) {
	r.got = append(r.got, reason+"/"+action)
}

// Two conditions that turn Ready in one reconcile are two events that the
// events API cannot fold into one series (it keys a series on the object,
// reason and action, and keeps only the first note).
func TestConditionEventsDoNotFold(t *testing.T) {
	app := testApp()
	before := app.Status.DeepCopy().Conditions
	app.Status.MarkDomainReady("shop.example.com")
	app.Status.MarkCondition(v1alpha1.ConditionLogsReady, metav1.ConditionTrue, v1alpha1.ReasonReady, "Logs go to /var/log/knapp.")
	rec := &actionRecorder{}
	(&Reconciler{Recorder: rec}).recordConditionChanges(app, before)
	if len(rec.got) != 2 || rec.got[0] == rec.got[1] {
		t.Errorf("events %v: want two with distinct reason/action keys", rec.got)
	}
}

func testApp() *v1alpha1.App {
	return &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-a", UID: "uid-1"},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/team-a/shop:1.4.2"},
	}
}
