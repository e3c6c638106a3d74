package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/hookapi"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

// hookTestReconciler has the platform's build template and the given
// Workflows; patching a Workflow fails with patchErr when it is not nil.
func hookTestReconciler(t *testing.T, patchErr error, workflows ...wfv1.Workflow) (*Reconciler, client.Client) {
	t.Helper()
	tmpl := platformBuildTemplateStub()
	b := fake.NewClientBuilder().WithScheme(buildTestScheme(t)).WithObjects(tmpl)
	for i := range workflows {
		b = b.WithObjects(workflows[i].DeepCopy())
	}
	b = b.WithInterceptorFuncs(interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if _, ok := obj.(*wfv1.Workflow); ok && patchErr != nil {
				return patchErr
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
	})
	c := b.Build()
	return &Reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(100), Platform: platform.Default()}, c
}

// A pushed commit's build that was created is the answer, even when
// stopping the build it supersedes then failed: the Workflow exists, so a
// 503 would make the git server retry a build that runs already.
func TestHookBuildAnswersTheBuildItStarted(t *testing.T) {
	app := buildTestApp("main")
	running := buildTestWorkflow(app, "main", 0, wfv1.WorkflowRunning)
	r, c := hookTestReconciler(t, apierrors.NewServiceUnavailable("etcd is busy"), running)
	commit := strings.Repeat("ab", 20)

	name, err := NewHookBuilds(r).StartBuild(context.Background(), app, commit)
	if err != nil {
		t.Fatalf("StartBuild: %v, want the started build's name", err)
	}
	want := resources.BuildWorkflowName(app, resources.BuildTrigger{Revision: commit, Source: resources.BuildTriggerHook})
	if name != want {
		t.Errorf("StartBuild named %q, want %q", name, want)
	}
	if got := storedWorkflows(t, c, app.Namespace); !slices.Contains(got, want) {
		t.Errorf("Workflows %v lack the started build %s", got, want)
	}
}

// What stops a build is the answer's message, in the owner's terms.
func TestHookBuildSaysWhatStopsIt(t *testing.T) {
	app := buildTestApp("main")
	app.Spec.Build.RegistrySecretName = "push-creds"
	r, _ := hookTestReconciler(t, nil)
	_, err := NewHookBuilds(r).StartBuild(context.Background(), app, strings.Repeat("cd", 20))
	if err == nil || !strings.Contains(err.Error(), "spec.build.registrySecretName: Secret team-a/push-creds does not exist") {
		t.Errorf("StartBuild: %v, want the missing Secret named", err)
	}
	if errors.Is(err, hookapi.ErrBuildExists) {
		t.Errorf("a missing Secret is not an existing build: %v", err)
	}
	if c := app.Status.GetCondition(v1alpha1.ConditionBuildSucceeded); c != nil {
		t.Errorf("the hook path wrote a condition %+v; the reconciler reports builds", c)
	}
}

// Every reconcile stops the running builds but the newest, so a stop that
// failed (here, the hook's) is made up for: the build still reports, and
// the failure is retried.
func TestReconcileStopsSupersededBuilds(t *testing.T) {
	app := buildTestApp("main")
	older := buildTestWorkflow(app, "r1", 1, wfv1.WorkflowRunning, buildNamed("shop-r1"))
	newest := buildTestWorkflow(app, "main", 2, wfv1.WorkflowRunning)
	// The spec's build is known already: nothing to retrigger.
	app.Status.Build = &v1alpha1.BuildStatus{SpecWorkflow: newest.Name}

	failing, _ := hookTestReconciler(t, apierrors.NewServiceUnavailable("etcd is busy"), older, newest)
	if _, err := reconcileBuildsOf(failing, app.DeepCopy()); err == nil || !strings.Contains(err.Error(), "stopping superseded build shop-r1") {
		t.Errorf("a failed stop should be retried: %v", err)
	}

	r, c := hookTestReconciler(t, nil, older, newest)
	a := app.DeepCopy()
	if _, err := reconcileBuildsOf(r, a); err != nil {
		t.Fatal(err)
	}
	got := &wfv1.Workflow{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(&older), got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Shutdown != wfv1.ShutdownStrategyTerminate {
		t.Errorf("the superseded build runs on: shutdown %q", got.Spec.Shutdown)
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(&newest), got); err != nil || got.Spec.Shutdown != "" {
		t.Errorf("the newest build was stopped (%v): shutdown %q", err, got.Spec.Shutdown)
	}
	if cond := a.Status.GetCondition(v1alpha1.ConditionBuildSucceeded); cond == nil || cond.Reason != v1alpha1.ReasonBuilding {
		t.Errorf("BuildSucceeded %+v, want Building", cond)
	}
}

// A failed read of the builds keeps the image the App runs: the desired
// Service must not switch to spec.image because the API refused a list.
func TestBuildsReadFailureKeepsTheBuiltImage(t *testing.T) {
	app := buildTestApp("main")
	app.Spec.Image = "registry.example.com/team-a/shop:fallback"
	app.Status.Build = &v1alpha1.BuildStatus{Image: buildTestImage('1')}
	c := buildTestClient(t, &interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			return apierrors.NewServiceUnavailable("etcd is busy")
		},
	})
	r := &Reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(100), Platform: platform.Default()}
	image, err := reconcileBuildsOf(r, app)
	if err == nil {
		t.Error("a failed list should be retried")
	}
	if image != buildTestImage('1') {
		t.Errorf("the App would run %q, not its built image %q", image, buildTestImage('1'))
	}
	if c := app.Status.GetCondition(v1alpha1.ConditionBuildSucceeded); c == nil || c.Reason != v1alpha1.ReasonAPIError || c.Status != metav1.ConditionFalse {
		t.Errorf("BuildSucceeded %+v, want False APIError", c)
	}
}

// platformBuildTemplateStub is the platform's build template as knapp sees
// it: its name and every parameter a build sets.
func platformBuildTemplateStub() *wfv1.ClusterWorkflowTemplate {
	tmpl := &wfv1.ClusterWorkflowTemplate{ObjectMeta: metav1.ObjectMeta{Name: platform.Default().BuildTemplate.Name}}
	for _, name := range []string{resources.BuildParamGitURL, resources.BuildParamGitRevision, resources.BuildParamDockerfile,
		resources.BuildParamContext, resources.BuildParamImageRepository, resources.BuildParamImageTag, resources.BuildParamRegistrySecret,
		resources.BuildParamGitSecret, resources.BuildParamBuildArgs, resources.BuildParamCacheRepository} {
		tmpl.Spec.Arguments.Parameters = append(tmpl.Spec.Arguments.Parameters, wfv1.Parameter{Name: name})
	}
	return tmpl
}
