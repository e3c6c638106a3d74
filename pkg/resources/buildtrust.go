package resources

import (
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// BuildWorkflowMismatch says how wf differs from the build knapp would make
// of app for the trigger wf's labels record ("" when it does not): its
// trigger, template and parameters, so its image repository and sources
// are spec.build's. Argo Workflows have no status subresource, so whoever
// may write Workflows in the namespace could present one as the App's
// build; knapp's policy refuses that at admission, and this keeps a
// Workflow that got past it (or was made before spec.build changed) from
// choosing what the App runs.
func BuildWorkflowMismatch(app *v1alpha1.App, wf *wfv1.Workflow, cfg platform.Config) string {
	source := wf.Labels[v1alpha1.LabelBuildTrigger]
	if source != BuildTriggerSpec && source != BuildTriggerHook {
		return fmt.Sprintf("label %s is %q, not %s or %s", v1alpha1.LabelBuildTrigger, source, BuildTriggerSpec, BuildTriggerHook)
	}
	revision := wf.Annotations[v1alpha1.AnnotationBuildRevision]
	if revision == "" {
		return "annotation " + v1alpha1.AnnotationBuildRevision + " is missing"
	}
	want := MakeBuildWorkflow(app, BuildTrigger{Revision: revision, Source: source}, cfg)
	if !equality.Semantic.DeepEqual(wf.Spec.WorkflowTemplateRef, want.Spec.WorkflowTemplateRef) {
		return fmt.Sprintf("its template %+v is not the one spec.build names (%+v)", wf.Spec.WorkflowTemplateRef, want.Spec.WorkflowTemplateRef)
	}
	if !equality.Semantic.DeepEqual(wf.Spec.Arguments.Parameters, want.Spec.Arguments.Parameters) {
		return "its parameters are not those of spec.build (git URL, revision, Dockerfile, context, image repository, registry Secret)"
	}
	return ""
}
