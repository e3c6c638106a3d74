package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

const buildTestRepo = "registry.example.com/team-a/shop"

// buildTestT0 is when the oldest test build was triggered, and when every
// test build was created.
var buildTestT0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// buildTestDigest is a valid digest: 64 times the hex digit c.
func buildTestDigest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

// buildTestImage is what a build that reported buildTestDigest(c) pushed.
func buildTestImage(c byte) string { return buildTestRepo + "@" + buildTestDigest(c) }

// buildTestApp is an App named shop in team-a that builds revision.
func buildTestApp(revision string) *v1alpha1.App {
	return &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-a", UID: types.UID("uid-shop"), Generation: 1},
		Spec: v1alpha1.AppSpec{Build: &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: "https://git.example.com/team-a/shop.git", Revision: revision},
			ImageRepository: buildTestRepo,
		}},
	}
}

type buildTestOpt func(*wfv1.Workflow)

// buildTestWorkflow is the Workflow knapp starts for revision, shaped by
// resources.MakeBuildWorkflow, triggered minute minutes after buildTestT0
// (every one created at buildTestT0), in phase.
func buildTestWorkflow(app *v1alpha1.App, revision string, minute int, phase wfv1.WorkflowPhase, opts ...buildTestOpt) wfv1.Workflow {
	wf := resources.MakeBuildWorkflow(app, resources.BuildTrigger{Revision: revision, Source: resources.BuildTriggerSpec}, platform.Default())
	wf.Annotations[v1alpha1.AnnotationBuildTriggeredAt] = buildTestT0.Add(time.Duration(minute) * time.Minute).Format(time.RFC3339Nano)
	wf.CreationTimestamp = metav1.NewTime(buildTestT0)
	wf.Status.Phase = phase
	for _, o := range opts {
		o(wf)
	}
	return *wf
}

// reported sets the image-digest output as the build template does.
func reported(digest string) buildTestOpt {
	return func(wf *wfv1.Workflow) {
		wf.Status.Outputs = &wfv1.Outputs{Parameters: []wfv1.Parameter{
			{Name: "other", Value: wfv1.AnyStringPtr("x")},
			{Name: resources.DigestParameter, Value: wfv1.AnyStringPtr(digest), GlobalName: resources.DigestParameter},
		}}
	}
}

func buildNamed(name string) buildTestOpt {
	return func(wf *wfv1.Workflow) { wf.Name = name }
}

func buildMessage(msg string) buildTestOpt {
	return func(wf *wfv1.Workflow) { wf.Status.Message = msg }
}

func buildFromHook(wf *wfv1.Workflow) {
	wf.Labels[v1alpha1.LabelBuildTrigger] = resources.BuildTriggerHook
}

func buildRepository(repo string) buildTestOpt {
	return func(wf *wfv1.Workflow) {
		for i := range wf.Spec.Arguments.Parameters {
			if wf.Spec.Arguments.Parameters[i].Name == resources.BuildParamImageRepository {
				wf.Spec.Arguments.Parameters[i].Value = wfv1.AnyStringPtr(repo)
			}
		}
	}
}

func buildWithoutRepository(wf *wfv1.Workflow) {
	wf.Spec.Arguments.Parameters = slices.DeleteFunc(wf.Spec.Arguments.Parameters, func(p wfv1.Parameter) bool {
		return p.Name == resources.BuildParamImageRepository
	})
}

func buildTimes(started, finished time.Time) buildTestOpt {
	return func(wf *wfv1.Workflow) {
		wf.Status.StartedAt = metav1.NewTime(started)
		wf.Status.FinishedAt = metav1.NewTime(finished)
	}
}

func buildTestLimit(n int32) *int32 { return &n }

func workflowNames(wfs []wfv1.Workflow) []string {
	var out []string
	for _, wf := range wfs {
		out = append(out, wf.Name)
	}
	return out
}

func TestNewestBuiltImage(t *testing.T) {
	app := buildTestApp("main")
	wf := func(rev string, minute int, phase wfv1.WorkflowPhase, opts ...buildTestOpt) wfv1.Workflow {
		return buildTestWorkflow(app, rev, minute, phase, append([]buildTestOpt{buildNamed("shop-" + rev)}, opts...)...)
	}
	tests := []struct {
		name      string
		workflows []wfv1.Workflow // newest first, as buildWorkflows lists them
		want      string
		// wantErr is text of the error, "" for none.
		wantErr       string
		wantErrReason string
	}{
		{name: "no builds", want: ""},
		{name: "no build succeeded", workflows: []wfv1.Workflow{
			wf("r4", 4, wfv1.WorkflowRunning),
			wf("r3", 3, ""),
			wf("r2", 2, wfv1.WorkflowFailed, reported(buildTestDigest('2'))),
			wf("r1", 1, wfv1.WorkflowError, reported(buildTestDigest('1'))),
		}, want: ""},
		{name: "newest succeeded wins", workflows: []wfv1.Workflow{
			wf("r2", 2, wfv1.WorkflowSucceeded, reported(buildTestDigest('2'))),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, want: buildTestImage('2')},
		{name: "failed and running builds are ignored", workflows: []wfv1.Workflow{
			wf("r4", 4, wfv1.WorkflowRunning),
			wf("r3", 3, wfv1.WorkflowFailed, reported(buildTestDigest('3'))),
			wf("r2", 2, wfv1.WorkflowError),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, want: buildTestImage('1')},
		{name: "a newer success with an invalid digest is skipped and reported", workflows: []wfv1.Workflow{
			wf("r3", 3, wfv1.WorkflowSucceeded, reported("sha256:nope")),
			wf("r2", 2, wfv1.WorkflowSucceeded, reported(buildTestDigest('2'))),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, want: buildTestImage('2'), wantErr: "shop-r3", wantErrReason: v1alpha1.ReasonInvalidDigest},
		{name: "a newer success without the output is skipped and reported", workflows: []wfv1.Workflow{
			wf("r2", 2, wfv1.WorkflowSucceeded),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, want: buildTestImage('1'), wantErr: "no output parameter image-digest", wantErrReason: v1alpha1.ReasonInvalidDigest},
		{name: "the newest invalid digest is the one reported", workflows: []wfv1.Workflow{
			wf("r3", 3, wfv1.WorkflowSucceeded, reported("sha256:ABC")),
			wf("r2", 2, wfv1.WorkflowSucceeded, reported("md5:abc")),
		}, want: "", wantErr: "shop-r3", wantErrReason: v1alpha1.ReasonInvalidDigest},
		{name: "upper-case hex is not a digest", workflows: []wfv1.Workflow{
			wf("r1", 1, wfv1.WorkflowSucceeded, reported("sha256:"+strings.Repeat("A", 64))),
		}, want: "", wantErr: "shop-r1", wantErrReason: v1alpha1.ReasonInvalidDigest},
		{name: "white space around the digest is ignored", workflows: []wfv1.Workflow{
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(" "+buildTestDigest('1')+"\n")),
		}, want: buildTestImage('1')},
		{name: "a build to an invalid repository is skipped", workflows: []wfv1.Workflow{
			wf("r2", 2, wfv1.WorkflowSucceeded, reported(buildTestDigest('2')), buildRepository("Registry.example.com/Team A")),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, want: buildTestImage('1'), wantErr: "not an image repository", wantErrReason: v1alpha1.ReasonInvalidSpec},
		{name: "a build without the repository parameter is skipped", workflows: []wfv1.Workflow{
			wf("r2", 2, wfv1.WorkflowSucceeded, reported(buildTestDigest('2')), buildWithoutRepository),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, want: buildTestImage('1'), wantErr: "spec.build.imageRepository", wantErrReason: v1alpha1.ReasonInvalidSpec},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newestBuiltImage(tc.workflows)
			if got != tc.want {
				t.Errorf("image = %q, want %q", got, tc.want)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
			var specErr *resources.SpecError
			if !errors.As(err, &specErr) || specErr.Reason != tc.wantErrReason {
				t.Errorf("error %v: want a SpecError with reason %s", err, tc.wantErrReason)
			}
		})
	}
}

func TestNewestSucceeded(t *testing.T) {
	app := buildTestApp("main")
	wf := func(rev string, minute int, phase wfv1.WorkflowPhase, opts ...buildTestOpt) wfv1.Workflow {
		return buildTestWorkflow(app, rev, minute, phase, append([]buildTestOpt{buildNamed("shop-" + rev)}, opts...)...)
	}
	tests := []struct {
		name      string
		workflows []wfv1.Workflow
		want      string
	}{
		{"no builds", nil, ""},
		{"none succeeded", []wfv1.Workflow{
			wf("r2", 2, wfv1.WorkflowRunning),
			wf("r1", 1, wfv1.WorkflowFailed, reported(buildTestDigest('1'))),
		}, ""},
		{"the newest success", []wfv1.Workflow{
			wf("r3", 3, wfv1.WorkflowFailed),
			wf("r2", 2, wfv1.WorkflowSucceeded, reported(buildTestDigest('2'))),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, "shop-r2"},
		{"a success with an invalid digest is not deployed", []wfv1.Workflow{
			wf("r3", 3, wfv1.WorkflowSucceeded, reported("sha256:nope")),
			wf("r2", 2, wfv1.WorkflowSucceeded),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, "shop-r1"},
		{"only invalid successes", []wfv1.Workflow{
			wf("r1", 1, wfv1.WorkflowSucceeded, reported("sha256:nope")),
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := newestSucceeded(tc.workflows); got != tc.want {
				t.Errorf("newestSucceeded = %q, want %q", got, tc.want)
			}
			// It names the build whose image newestBuiltImage returns.
			image, _ := newestBuiltImage(tc.workflows)
			for _, wf := range tc.workflows {
				if wf.Name == tc.want {
					if want, _ := buildImage(&wf); image != want {
						t.Errorf("newestBuiltImage = %q, the image of %s is %q", image, wf.Name, want)
					}
				}
			}
			if tc.want == "" && image != "" {
				t.Errorf("newestBuiltImage = %q with no deployable build", image)
			}
		})
	}
}

func TestBuildCondition(t *testing.T) {
	app := buildTestApp("main")
	wf := func(rev string, minute int, phase wfv1.WorkflowPhase, opts ...buildTestOpt) wfv1.Workflow {
		return buildTestWorkflow(app, rev, minute, phase, append([]buildTestOpt{buildNamed("shop-" + rev)}, opts...)...)
	}
	tests := []struct {
		name       string
		workflows  []wfv1.Workflow
		wantStatus metav1.ConditionStatus
		wantReason string
		wantText   []string
	}{
		{"no workflows", nil, metav1.ConditionUnknown, v1alpha1.ReasonBuilding, []string{"No build has started yet."}},
		{"succeeded", []wfv1.Workflow{
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, metav1.ConditionTrue, v1alpha1.ReasonBuildSucceeded, []string{"shop-r1", buildTestImage('1')}},
		{"failed with Argo's message", []wfv1.Workflow{
			wf("r2", 2, wfv1.WorkflowFailed, buildMessage("child 'build' failed: exit code 1")),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, metav1.ConditionFalse, v1alpha1.ReasonBuildFailed, []string{"shop-r2", "Failed", "child 'build' failed: exit code 1", "keeps running its previous image"}},
		{"failed without a message", []wfv1.Workflow{
			wf("r1", 1, wfv1.WorkflowFailed),
		}, metav1.ConditionFalse, v1alpha1.ReasonBuildFailed, []string{"shop-r1", "no message from Argo"}},
		{"error", []wfv1.Workflow{
			wf("r1", 1, wfv1.WorkflowError, buildMessage("pod deleted")),
		}, metav1.ConditionFalse, v1alpha1.ReasonBuildFailed, []string{"shop-r1", "Error", "pod deleted"}},
		{"running", []wfv1.Workflow{
			wf("r2", 2, wfv1.WorkflowRunning),
			wf("r1", 1, wfv1.WorkflowFailed),
		}, metav1.ConditionUnknown, v1alpha1.ReasonBuilding, []string{"shop-r2", "of r2", "is Running"}},
		{"pending: no phase yet", []wfv1.Workflow{
			wf("r2", 2, ""),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, metav1.ConditionUnknown, v1alpha1.ReasonBuilding, []string{"shop-r2", "is Pending"}},
		{"pending", []wfv1.Workflow{
			wf("r1", 1, wfv1.WorkflowPending),
		}, metav1.ConditionUnknown, v1alpha1.ReasonBuilding, []string{"shop-r1", "is Pending"}},
		{"succeeded with an invalid digest", []wfv1.Workflow{
			wf("r2", 2, wfv1.WorkflowSucceeded, reported("sha256:nope")),
			wf("r1", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))),
		}, metav1.ConditionFalse, v1alpha1.ReasonInvalidDigest, []string{"shop-r2", `"sha256:nope"`, "keeps running its previous image"}},
		{"succeeded without a digest", []wfv1.Workflow{
			wf("r1", 1, wfv1.WorkflowSucceeded),
		}, metav1.ConditionFalse, v1alpha1.ReasonInvalidDigest, []string{"shop-r1", "image-digest"}},
		{"only the newest build counts", []wfv1.Workflow{
			wf("r3", 3, wfv1.WorkflowSucceeded, reported(buildTestDigest('3'))),
			wf("r2", 2, wfv1.WorkflowFailed, buildMessage("boom")),
		}, metav1.ConditionTrue, v1alpha1.ReasonBuildSucceeded, []string{"shop-r3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := app.DeepCopy()
			// A condition from before is replaced.
			a.Status.MarkCondition(v1alpha1.ConditionBuildSucceeded, metav1.ConditionTrue, "Stale", "stale")
			o, err := buildCondition(tc.workflows)
			if retry := report(&a.Status, v1alpha1.ConditionBuildSucceeded, o, err); retry != nil {
				t.Errorf("a build's state is never retried: %v", retry)
			}
			c := a.Status.GetCondition(v1alpha1.ConditionBuildSucceeded)
			if c == nil {
				t.Fatal("no BuildSucceeded condition")
			}
			if c.Status != tc.wantStatus || c.Reason != tc.wantReason {
				t.Errorf("BuildSucceeded = %s/%s (%s), want %s/%s", c.Status, c.Reason, c.Message, tc.wantStatus, tc.wantReason)
			}
			for _, s := range tc.wantText {
				if !strings.Contains(c.Message, s) {
					t.Errorf("message %q does not contain %q", c.Message, s)
				}
			}
		})
	}
}

func TestBuildRecords(t *testing.T) {
	app := buildTestApp("main")
	started := buildTestT0.Add(time.Minute)
	finished := buildTestT0.Add(3 * time.Minute)
	commit := strings.Repeat("c0ffee", 6) + "abcd"
	workflows := []wfv1.Workflow{
		buildTestWorkflow(app, commit, 7, wfv1.WorkflowSucceeded, buildNamed("shop-hook"), buildFromHook,
			reported(buildTestDigest('7')), buildTimes(started, finished)),
		buildTestWorkflow(app, "r6", 6, wfv1.WorkflowFailed, buildNamed("shop-failed"),
			buildMessage("child 'build' failed: exit code 1"), buildTimes(started, finished)),
		buildTestWorkflow(app, "r5", 5, wfv1.WorkflowError, buildNamed("shop-error"), buildMessage("pod deleted")),
		buildTestWorkflow(app, "r4", 4, wfv1.WorkflowSucceeded, buildNamed("shop-invalid"), reported("sha256:nope"),
			buildMessage("a message Argo left on a success")),
		buildTestWorkflow(app, "r3", 3, wfv1.WorkflowRunning, buildNamed("shop-running"), buildTimes(started, time.Time{}),
			buildMessage("a message on a running build")),
		buildTestWorkflow(app, "r2", 2, "", buildNamed("shop-pending")),
		buildTestWorkflow(app, "r1", 1, wfv1.WorkflowSucceeded, buildNamed("shop-padded"), reported(" "+buildTestDigest('1')+"\n")),
	}
	type want struct {
		workflow, revision, trigger, phase, digest, message string
		started, finished                                   bool
	}
	wants := []want{
		{"shop-hook", commit, "hook", "Succeeded", buildTestDigest('7'), "", true, true},
		{"shop-failed", "r6", "spec", "Failed", "", "child 'build' failed: exit code 1", true, true},
		{"shop-error", "r5", "spec", "Error", "", "pod deleted", false, false},
		{"shop-invalid", "r4", "spec", "Succeeded", "", "", false, false},
		{"shop-running", "r3", "spec", "Running", "", "", true, false},
		{"shop-pending", "r2", "spec", "Pending", "", "", false, false},
		{"shop-padded", "r1", "spec", "Succeeded", buildTestDigest('1'), "", false, false},
	}
	got := buildRecords(workflows, maxBuildRecords)
	if len(got) != len(wants) {
		t.Fatalf("%d records, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		r := got[i]
		if r.Workflow != w.workflow || r.Revision != w.revision || r.Trigger != w.trigger || r.Phase != w.phase || r.Digest != w.digest || r.Message != w.message {
			t.Errorf("record %d = %+v, want %+v", i, r, w)
		}
		if (r.StartedAt != nil) != w.started || (r.FinishedAt != nil) != w.finished {
			t.Errorf("record %d (%s): startedAt %v finishedAt %v, want set: %v %v", i, r.Workflow, r.StartedAt, r.FinishedAt, w.started, w.finished)
		}
		if w.started && !r.StartedAt.Time.Equal(started) {
			t.Errorf("record %d: startedAt %v, want %v", i, r.StartedAt, started)
		}
		if w.finished && !r.FinishedAt.Time.Equal(finished) {
			t.Errorf("record %d: finishedAt %v, want %v", i, r.FinishedAt, finished)
		}
		if strings.Contains(r.Digest, "@") || strings.Contains(r.Digest, buildTestRepo) {
			t.Errorf("record %d: digest %q should be the sha256: part only", i, r.Digest)
		}
	}
	// The records do not share the Workflows' times.
	got[0].StartedAt.Time = time.Time{}
	if workflows[0].Status.StartedAt.IsZero() {
		t.Error("a record shares its startedAt with the Workflow")
	}

	t.Run("capped at max, newest first", func(t *testing.T) {
		var many []wfv1.Workflow
		for i := 60; i > 0; i-- {
			many = append(many, buildTestWorkflow(app, fmt.Sprintf("r%d", i), i, wfv1.WorkflowFailed, buildNamed(fmt.Sprintf("shop-%02d", i))))
		}
		for _, max := range []int{maxBuildRecords, 3, 1} {
			recs := buildRecords(many, max)
			if len(recs) != max {
				t.Fatalf("max %d: %d records", max, len(recs))
			}
			if recs[0].Workflow != "shop-60" || recs[max-1].Workflow != many[max-1].Name {
				t.Errorf("max %d: records %s..%s, want the newest %s..%s", max, recs[0].Workflow, recs[max-1].Workflow, "shop-60", many[max-1].Name)
			}
		}
		if recs := buildRecords(many[:2], maxBuildRecords); len(recs) != 2 {
			t.Errorf("%d records of 2 builds", len(recs))
		}
	})
	t.Run("no builds", func(t *testing.T) {
		if recs := buildRecords(nil, maxBuildRecords); len(recs) != 0 {
			t.Errorf("records %+v", recs)
		}
	})
}

func TestTriggeredAt(t *testing.T) {
	created := buildTestT0
	trigger := buildTestT0.Add(90*time.Minute + 123456789*time.Nanosecond)
	tests := []struct {
		name        string
		annotations map[string]string
		want        time.Time
	}{
		{"the annotation wins", map[string]string{v1alpha1.AnnotationBuildTriggeredAt: trigger.Format(time.RFC3339Nano)}, trigger},
		{"the annotation may be earlier than the creation", map[string]string{v1alpha1.AnnotationBuildTriggeredAt: created.Add(-time.Hour).Format(time.RFC3339Nano)}, created.Add(-time.Hour)},
		{"whole seconds", map[string]string{v1alpha1.AnnotationBuildTriggeredAt: "2025-03-01T13:30:00Z"}, buildTestT0.Add(90 * time.Minute)},
		{"another offset", map[string]string{v1alpha1.AnnotationBuildTriggeredAt: "2025-03-01T15:30:00+02:00"}, buildTestT0.Add(90 * time.Minute)},
		{"not a time: the creation", map[string]string{v1alpha1.AnnotationBuildTriggeredAt: "yesterday"}, created},
		{"empty: the creation", map[string]string{v1alpha1.AnnotationBuildTriggeredAt: ""}, created},
		{"no annotation: the creation", map[string]string{v1alpha1.AnnotationBuildRevision: "main"}, created},
		{"no annotations: the creation", nil, created},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wf := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "shop-b1", Annotations: tc.annotations, CreationTimestamp: metav1.NewTime(created)}}
			if got := triggeredAt(wf); !got.Equal(tc.want) {
				t.Errorf("triggeredAt = %v, want %v", got, tc.want)
			}
		})
	}
}

func buildTestScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	utilruntime.Must(v1alpha1.AddToScheme(s))
	utilruntime.Must(wfv1.AddToScheme(s))
	return s
}

func buildTestClient(t *testing.T, funcs *interceptor.Funcs, workflows ...wfv1.Workflow) client.Client {
	t.Helper()
	b := fake.NewClientBuilder().WithScheme(buildTestScheme(t))
	for i := range workflows {
		b = b.WithObjects(workflows[i].DeepCopy())
	}
	if funcs != nil {
		b = b.WithInterceptorFuncs(*funcs)
	}
	return b.Build()
}

// storedWorkflows names the Workflows the client holds in namespace.
func storedWorkflows(t *testing.T, c client.Client, namespace string) []string {
	t.Helper()
	list := &wfv1.WorkflowList{}
	if err := c.List(context.Background(), list, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	names := workflowNames(list.Items)
	slices.Sort(names)
	return names
}

// pruneTestBuilds is an App's history, oldest first, every one created at
// the same time and named so that names sort opposite to when they were
// triggered: six finished builds and one running (phase runningPhase), and
// Workflows that are not the App's. The spec's build is the oldest, the
// deployed one the second oldest.
func pruneTestBuilds(app *v1alpha1.App, runningPhase wfv1.WorkflowPhase) (builds, others []wfv1.Workflow) {
	builds = []wfv1.Workflow{
		buildTestWorkflow(app, "main", 0, wfv1.WorkflowFailed), // the spec's: keeps its computed name
		buildTestWorkflow(app, "r1", 1, wfv1.WorkflowSucceeded, buildNamed("shop-y-deployed"), reported(buildTestDigest('1'))),
		buildTestWorkflow(app, "r2", 2, runningPhase, buildNamed("shop-x-running")),
		buildTestWorkflow(app, "r3", 3, wfv1.WorkflowSucceeded, buildNamed("shop-w-invalid"), reported("sha256:nope")),
		buildTestWorkflow(app, "r4", 4, wfv1.WorkflowFailed, buildNamed("shop-v-failed")),
		buildTestWorkflow(app, "r5", 5, wfv1.WorkflowError, buildNamed("shop-u-error")),
		buildTestWorkflow(app, "r6", 6, wfv1.WorkflowFailed, buildNamed("shop-t-newest")),
	}
	// Labelled as the App's, but controlled by another App of that name
	// (deleted and made again): not the App's build.
	foreign := buildTestWorkflow(app, "r7", 7, wfv1.WorkflowFailed, buildNamed("shop-s-foreign"))
	foreign.OwnerReferences[0].UID = "uid-of-an-older-shop"
	// Not labelled as the App's.
	unlabelled := buildTestWorkflow(app, "r8", 8, wfv1.WorkflowFailed, buildNamed("shop-r-unlabelled"))
	delete(unlabelled.Labels, v1alpha1.LabelApp)
	// Another namespace's App of the same name.
	elsewhere := buildTestWorkflow(app, "r9", 9, wfv1.WorkflowFailed, buildNamed("shop-q-elsewhere"))
	elsewhere.Namespace = "team-b"
	return builds, []wfv1.Workflow{foreign, unlabelled, elsewhere}
}

func TestBuildWorkflowsNewestFirstByTriggerTime(t *testing.T) {
	app := buildTestApp("main")
	builds, others := pruneTestBuilds(app, wfv1.WorkflowRunning)
	c := buildTestClient(t, nil, append(slices.Clone(builds), others...)...)
	r := &Reconciler{Client: c}
	got, err := r.buildWorkflows(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := len(builds) - 1; i >= 0; i-- {
		want = append(want, builds[i].Name)
	}
	if !slices.Equal(workflowNames(got), want) {
		t.Errorf("buildWorkflows = %v, want %v (by knapp.dev/triggered-at, newest first)", workflowNames(got), want)
	}
	for _, wf := range got {
		if !wf.CreationTimestamp.Time.Equal(buildTestT0) {
			t.Fatalf("the fake client changed %s's creationTimestamp to %v: the test no longer has equal ones", wf.Name, wf.CreationTimestamp)
		}
	}

	t.Run("an App without builds", func(t *testing.T) {
		other := buildTestApp("main")
		other.Name, other.UID = "cart", "uid-cart"
		got, err := r.buildWorkflows(context.Background(), other)
		if err != nil || len(got) != 0 {
			t.Errorf("buildWorkflows = %v, %v", workflowNames(got), err)
		}
	})
	t.Run("a listing error is returned", func(t *testing.T) {
		boom := errors.New("boom")
		c := buildTestClient(t, &interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
			return boom
		}})
		if _, err := (&Reconciler{Client: c}).buildWorkflows(context.Background(), app); !errors.Is(err, boom) {
			t.Errorf("error %v, want it to wrap %v", err, boom)
		}
	})
}

func TestPruneBuilds(t *testing.T) {
	specName := resources.BuildWorkflowName(buildTestApp("main"), specTrigger(buildTestApp("main").Spec.Build))
	tests := []struct {
		name         string
		historyLimit *int32
		// wantDeleted are the builds pruned; every other one stays.
		wantDeleted []string
	}{
		{"default limit of 5", nil, nil},
		{"limit 4", buildTestLimit(4), nil},
		{"limit 3", buildTestLimit(3), []string{"shop-w-invalid"}},
		{"limit 2", buildTestLimit(2), []string{"shop-v-failed", "shop-w-invalid"}},
		{"limit 1", buildTestLimit(1), []string{"shop-u-error", "shop-v-failed", "shop-w-invalid"}},
	}
	for _, runningPhase := range []wfv1.WorkflowPhase{wfv1.WorkflowRunning, wfv1.WorkflowPending, ""} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s, running build %q", tc.name, runningPhase), func(t *testing.T) {
				app := buildTestApp("main")
				app.Spec.Build.HistoryLimit = tc.historyLimit
				builds, others := pruneTestBuilds(app, runningPhase)
				if builds[0].Name != specName {
					t.Fatalf("the spec's build is %s, want %s", builds[0].Name, specName)
				}
				c := buildTestClient(t, nil, append(slices.Clone(builds), others...)...)
				r := &Reconciler{Client: c, Recorder: events.NewFakeRecorder(100)}
				workflows, err := r.buildWorkflows(context.Background(), app)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := r.pruneBuilds(context.Background(), app, workflows, resources.BuildWorkflowName(app, specTrigger(app.Spec.Build))); err != nil {
					t.Fatal(err)
				}
				var want []string
				for _, wf := range append(slices.Clone(builds), others[:2]...) {
					if !slices.Contains(tc.wantDeleted, wf.Name) {
						want = append(want, wf.Name)
					}
				}
				slices.Sort(want)
				if got := storedWorkflows(t, c, app.Namespace); !slices.Equal(got, want) {
					t.Errorf("left %v, want %v", got, want)
				}
				if got := storedWorkflows(t, c, "team-b"); !slices.Equal(got, []string{"shop-q-elsewhere"}) {
					t.Errorf("another namespace's builds: %v", got)
				}
				for _, keep := range []string{specName, "shop-y-deployed", "shop-x-running", "shop-t-newest"} {
					if slices.Contains(tc.wantDeleted, keep) {
						t.Fatalf("the test expects %s deleted", keep)
					}
				}
			})
		}
	}

	t.Run("the deployed build and the spec's build may be one", func(t *testing.T) {
		app := buildTestApp("main")
		app.Spec.Build.HistoryLimit = buildTestLimit(1)
		builds := []wfv1.Workflow{
			buildTestWorkflow(app, "main", 0, wfv1.WorkflowSucceeded, reported(buildTestDigest('0'))),
			buildTestWorkflow(app, "r1", 1, wfv1.WorkflowFailed, buildNamed("shop-r1")),
			buildTestWorkflow(app, "r2", 2, wfv1.WorkflowFailed, buildNamed("shop-r2")),
		}
		c := buildTestClient(t, nil, builds...)
		r := &Reconciler{Client: c, Recorder: events.NewFakeRecorder(100)}
		workflows, err := r.buildWorkflows(context.Background(), app)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.pruneBuilds(context.Background(), app, workflows, builds[0].Name); err != nil {
			t.Fatal(err)
		}
		want := []string{builds[0].Name, "shop-r2"}
		slices.Sort(want)
		if got := storedWorkflows(t, c, app.Namespace); !slices.Equal(got, want) {
			t.Errorf("left %v, want %v", got, want)
		}
	})

	t.Run("a build gone already is no error; other errors are returned, and pruning goes on", func(t *testing.T) {
		app := buildTestApp("main")
		app.Spec.Build.HistoryLimit = buildTestLimit(1)
		builds, _ := pruneTestBuilds(app, wfv1.WorkflowRunning)
		gone := buildTestWorkflow(app, "r0", -1, wfv1.WorkflowFailed, buildNamed("shop-z-gone"))
		c := buildTestClient(t, &interceptor.Funcs{Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			if obj.GetName() == "shop-v-failed" {
				return apierrors.NewForbidden(schema.GroupResource{Group: "argoproj.io", Resource: "workflows"}, obj.GetName(), errors.New("no"))
			}
			return c.Delete(ctx, obj, opts...)
		}}, builds...)
		r := &Reconciler{Client: c, Recorder: events.NewFakeRecorder(100)}
		workflows, err := r.buildWorkflows(context.Background(), app)
		if err != nil {
			t.Fatal(err)
		}
		// A Workflow the cache still lists and that is gone from the API.
		workflows = append(workflows, gone)
		_, err = r.pruneBuilds(context.Background(), app, workflows, builds[0].Name)
		if err == nil || !strings.Contains(err.Error(), "pruning build shop-v-failed") || !apierrors.IsForbidden(err) {
			t.Fatalf("error %v, want the refusal to delete shop-v-failed", err)
		}
		if strings.Contains(err.Error(), "shop-z-gone") {
			t.Errorf("a build that is gone is reported: %v", err)
		}
		got := storedWorkflows(t, c, app.Namespace)
		if slices.Contains(got, "shop-u-error") || slices.Contains(got, "shop-w-invalid") || !slices.Contains(got, "shop-v-failed") {
			t.Errorf("left %v: want shop-u-error and shop-w-invalid pruned despite the error", got)
		}
	})
}

// The spec names a revision whose build exists (a revert in git-ops, after a
// newer revision was built): the App should run that build's image, and
// BuildSucceeded should report that build.
func TestReconcileBuildsRunsTheSpecsExistingBuild(t *testing.T) {
	tests := []struct {
		name      string
		main      wfv1.Workflow
		wantImage string
	}{
		{"main's build succeeded", buildTestWorkflow(buildTestApp("main"), "main", 0, wfv1.WorkflowSucceeded, reported(buildTestDigest('1'))), buildTestImage('1')},
		// knapp itself stopped main's build when release-2 superseded it; going
		// back to main never builds main again (the Workflow of that name
		// exists, and is never pruned as the spec's build), and BuildSucceeded
		// reports release-2's success. Keeping release-2's image meanwhile is
		// what a failed build does, so the image is not checked.
		{"main's build was superseded", buildTestWorkflow(buildTestApp("main"), "main", 0, wfv1.WorkflowFailed,
			buildMessage("Stopped with strategy 'Terminate'"), func(wf *wfv1.Workflow) { wf.Spec.Shutdown = wfv1.ShutdownStrategyTerminate }), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := buildTestApp("main")
			release2 := buildTestWorkflow(app, "release-2", 1, wfv1.WorkflowSucceeded, reported(buildTestDigest('2')))
			c := buildTestClient(t, nil, tc.main, release2)
			r := &Reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(100), Platform: platform.Default()}
			image, err := reconcileBuildsOf(r, app)
			if err != nil {
				t.Logf("reconcileBuilds: %v", err)
			}
			if tc.wantImage != "" && image != tc.wantImage {
				t.Errorf("spec.build.git.revision is main, and the App runs %q, not main's %q", image, tc.wantImage)
			}
			if c := app.Status.GetCondition(v1alpha1.ConditionBuildSucceeded); c == nil || !strings.Contains(c.Message, tc.main.Name) {
				t.Errorf("BuildSucceeded %+v should report the spec's build %s", c, tc.main.Name)
			}
		})
	}
}

// status.build.builds lists the builds that exist: not those the same
// reconcile just pruned.
func TestReconcileBuildsListsNoPrunedBuild(t *testing.T) {
	app := buildTestApp("main")
	app.Spec.Build.HistoryLimit = buildTestLimit(1)
	builds := []wfv1.Workflow{
		buildTestWorkflow(app, "main", 3, wfv1.WorkflowSucceeded, reported(buildTestDigest('3'))),
		buildTestWorkflow(app, "r2", 2, wfv1.WorkflowFailed, buildNamed("shop-r2")),
		buildTestWorkflow(app, "r1", 1, wfv1.WorkflowFailed, buildNamed("shop-r1")),
	}
	c := buildTestClient(t, nil, builds...)
	r := &Reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(100), Platform: platform.Default()}
	if _, err := reconcileBuildsOf(r, app); err != nil {
		t.Fatal(err)
	}
	if got := storedWorkflows(t, c, app.Namespace); slices.Contains(got, "shop-r1") {
		t.Fatalf("shop-r1 was not pruned: %v", got)
	}
	var listed []string
	for _, rec := range app.Status.Build.Builds {
		listed = append(listed, rec.Workflow)
	}
	if want := []string{builds[0].Name, "shop-r2"}; !slices.Equal(listed, want) {
		t.Errorf("status.build.builds lists %v, want %v (what exists)", listed, want)
	}
}

// reconcileBuildsOf runs the builds step on app and reports it, as a
// reconcile does; it returns the image the App would run.
func reconcileBuildsOf(r *Reconciler, app *v1alpha1.App) (string, error) {
	s := &state{app: app}
	o, err := r.reconcileBuilds(context.Background(), s)
	return s.builtImage, report(&app.Status, v1alpha1.ConditionBuildSucceeded, o, err)
}

// A reconcile on a cached App older than the status the last reconcile
// wrote must not take the spec's build for a revision set back: retriggering
// it would make it supersede the hook build pushed since (the CI failure of
// TestHookStartsABuildOfThePushedCommit). The live App decides.
func TestReconcileBuildsRetriggersOnlyWhatTheLiveStatusSaysChanged(t *testing.T) {
	tests := []struct {
		name          string
		liveSpecBuild func(spec, other string) string // the live status.build.specWorkflow; "" leaves status.build unset
		wantNewest    func(spec, hook string) string
	}{
		{"the cache lags: the live status records the spec's build", func(spec, _ string) string { return spec }, func(_, hook string) string { return hook }},
		{"the spec went back to main", func(_, other string) string { return other }, func(spec, _ string) string { return spec }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cached := buildTestApp("main")
			spec := buildTestWorkflow(cached, "main", 0, wfv1.WorkflowRunning)
			hook := buildTestWorkflow(cached, "4f2c1e9a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e", 1, "", buildFromHook, buildNamed("shop-hook"))
			live := cached.DeepCopy()
			live.Status.Build = &v1alpha1.BuildStatus{SpecWorkflow: tc.liveSpecBuild(spec.Name, "shop-release-2")}
			c := buildTestClient(t, nil, spec, hook)
			reader := fake.NewClientBuilder().WithScheme(buildTestScheme(t)).WithObjects(live).Build()
			r := &Reconciler{Client: c, APIReader: reader, Recorder: events.NewFakeRecorder(100), Platform: platform.Default()}
			if _, err := reconcileBuildsOf(r, cached); err != nil {
				t.Logf("reconcileBuilds: %v", err)
			}
			want := tc.wantNewest(spec.Name, hook.Name)
			if got := cached.Status.Build.Builds[0].Workflow; got != want {
				t.Errorf("newest build %s, want %s", got, want)
			}
			stopped := &wfv1.Workflow{}
			other := spec.Name
			if want == spec.Name {
				other = hook.Name
			}
			if err := c.Get(context.Background(), client.ObjectKey{Namespace: cached.Namespace, Name: other}, stopped); err != nil {
				t.Fatal(err)
			}
			if stopped.Spec.Shutdown != wfv1.ShutdownStrategyTerminate {
				t.Errorf("build %s is not stopped (shutdown %q): %s supersedes it", other, stopped.Spec.Shutdown, want)
			}
		})
	}
}

// The platform's build policy is checked before every build: a repository
// outside the namespace's prefix, or a ClusterWorkflowTemplate the platform
// does not allow, starts nothing and says why.
func TestReconcileBuildsFollowsTheBuildPolicy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*platform.Config, *v1alpha1.App)
		says  string
	}{
		{"another namespace's repository", func(cfg *platform.Config, _ *v1alpha1.App) {
			cfg.Builds.ImageRepositoryPrefix = "registry.example.com/{namespace}-prod/"
		}, "spec.build.imageRepository: must start with registry.example.com/team-a-prod/"},
		{"a ClusterWorkflowTemplate not allowed", func(_ *platform.Config, a *v1alpha1.App) {
			a.Spec.Build.TemplateRef = &v1alpha1.TemplateRef{Name: "other", ClusterScope: true}
		}, "spec.build.templateRef.name: ClusterWorkflowTemplate other is not one the platform allows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, app := platform.Default(), buildTestApp("main")
			tc.setup(&cfg, app)
			c := buildTestClient(t, nil)
			r := &Reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(100), Platform: cfg}
			if _, err := reconcileBuildsOf(r, app); err != nil {
				t.Logf("reconcileBuilds: %v", err)
			}
			cond := app.Status.GetCondition(v1alpha1.ConditionBuildSucceeded)
			if cond == nil || cond.Reason != v1alpha1.ReasonBuildNotAllowed || !strings.Contains(cond.Message, tc.says) {
				t.Errorf("BuildSucceeded %+v, want BuildNotAllowed saying %q", cond, tc.says)
			}
			if got := storedWorkflows(t, c, app.Namespace); len(got) != 0 {
				t.Errorf("started %v", got)
			}
		})
	}
}
