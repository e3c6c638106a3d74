package resources

import (
	"fmt"
	"regexp"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/google/go-containerregistry/pkg/name"

	"knapp.dev/knapp/api/v1alpha1"
)

// DigestParameter is the workflow output parameter (globalName) that carries
// the pushed image's digest.
const DigestParameter = "image-digest"

// digestField is where a build Workflow reports the digest.
const digestField = "status.outputs.parameters[" + DigestParameter + "]"

var sha256Digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// BuildImage returns repository@sha256:<hex> from a Succeeded workflow's
// status.outputs.parameters[image-digest]. A SpecError with Reason
// InvalidDigest says when the output is missing or not sha256: and 64
// lower-case hex digits (surrounding white space is ignored); one with
// Reason InvalidSpec when repository (spec.build.imageRepository) is not a
// repository. A workflow that has not succeeded is a plain error: it has no
// image yet.
func BuildImage(wf *wfv1.Workflow, repository string) (string, error) {
	if wf.Status.Phase != wfv1.WorkflowSucceeded {
		return "", fmt.Errorf("workflow %s has not succeeded (phase %q): no image to run", wf.Name, wf.Status.Phase)
	}
	var value *wfv1.AnyString
	found := false
	if wf.Status.Outputs != nil {
		for _, p := range wf.Status.Outputs.Parameters {
			if p.Name == DigestParameter {
				value, found = p.Value, true
				break
			}
		}
	}
	if !found || value == nil {
		return "", &SpecError{Reason: v1alpha1.ReasonInvalidDigest, Field: digestField,
			Detail: fmt.Sprintf("Workflow %s succeeded but reported no output parameter %s: the build template must write the pushed image's digest to an output parameter with globalName %s", wf.Name, DigestParameter, DigestParameter)}
	}
	digest := strings.TrimSpace(value.String())
	if !sha256Digest.MatchString(digest) {
		return "", &SpecError{Reason: v1alpha1.ReasonInvalidDigest, Field: digestField,
			Detail: fmt.Sprintf("Workflow %s reported %q; want sha256: and 64 lower-case hex digits", wf.Name, truncate(digest, 100))}
	}
	if msg := v1alpha1.ImageRepositoryProblem(repository); msg != "" {
		return "", &SpecError{Reason: v1alpha1.ReasonInvalidSpec, Field: "spec.build.imageRepository",
			Detail: fmt.Sprintf("%q is not an image repository: %s", repository, msg)}
	}
	image := repository + "@" + digest
	if _, err := name.NewDigest(image); err != nil {
		return "", &SpecError{Reason: v1alpha1.ReasonInvalidDigest, Field: digestField,
			Detail: fmt.Sprintf("Workflow %s: %s is not an image reference: %v", wf.Name, image, err)}
	}
	return image, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
