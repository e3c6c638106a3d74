package resources

import (
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// BuildWorkflowMismatch says why wf cannot be a build whose image the App
// may run ("" when it can): it must record a trigger knapp makes (spec or
// hook, with its revision), use the template spec.build names and push to
// spec.build's image repository. Argo Workflows have no status
// subresource, so whoever may write Workflows in the namespace could
// present one as the App's build; knapp's policy refuses that at
// admission, and this keeps a Workflow that got past it from choosing an
// image outside the App's own repository. (Builds of older sources, such as
// another revision or Dockerfile, stay deployable: the App runs the newest
// success until the build of its current spec succeeds.)
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
	got := wf.Spec.Arguments.GetParameterByName(BuildParamImageRepository)
	if repo := buildSpec(app).ImageRepository; got == nil || got.Value == nil || got.Value.String() != repo {
		return "it does not push to spec.build.imageRepository " + repo
	}
	return ""
}
