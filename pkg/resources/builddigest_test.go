package resources

import (
	"errors"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

const validDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// succeeded is a Succeeded build Workflow with these output parameters.
func succeeded(params ...wfv1.Parameter) *wfv1.Workflow {
	wf := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "shop-b0123abcd", Namespace: "team-a"}}
	wf.Status.Phase = wfv1.WorkflowSucceeded
	if params != nil {
		wf.Status.Outputs = &wfv1.Outputs{Parameters: params}
	}
	return wf
}

func digestOutput(v string) wfv1.Parameter {
	return wfv1.Parameter{Name: DigestParameter, Value: wfv1.AnyStringPtr(v)}
}

func TestBuildImage(t *testing.T) {
	for _, tc := range []struct {
		name, repository string
		wf               *wfv1.Workflow
		want             string
	}{
		{"valid", "registry.example.com/team-a/shop", succeeded(digestOutput(validDigest)),
			"registry.example.com/team-a/shop@" + validDigest},
		{"registry with a port", "registry.example.com:5000/team/shop", succeeded(digestOutput(validDigest)),
			"registry.example.com:5000/team/shop@" + validDigest},
		{"trailing newline", "registry.example.com/team-a/shop", succeeded(digestOutput(validDigest + "\n")),
			"registry.example.com/team-a/shop@" + validDigest},
		{"among other outputs", "ghcr.io/team-a/shop",
			succeeded(wfv1.Parameter{Name: "log", Value: wfv1.AnyStringPtr("x")}, digestOutput(validDigest)),
			"ghcr.io/team-a/shop@" + validDigest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildImage(tc.wf, tc.repository)
			if err != nil || got != tc.want {
				t.Errorf("BuildImage = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestBuildImageInvalidDigest(t *testing.T) {
	for _, tc := range []struct {
		name string
		wf   *wfv1.Workflow
	}{
		{"no outputs", succeeded()},
		{"no digest output", succeeded(wfv1.Parameter{Name: "other", Value: wfv1.AnyStringPtr(validDigest)})},
		{"digest output without value", succeeded(wfv1.Parameter{Name: DigestParameter})},
		{"empty", succeeded(digestOutput(""))},
		{"not hex", succeeded(digestOutput("sha256:xyz"))},
		{"too short", succeeded(digestOutput(validDigest[:len(validDigest)-1]))},
		{"too long", succeeded(digestOutput(validDigest + "0"))},
		{"md5", succeeded(digestOutput("md5:0123456789abcdef0123456789abcdef"))},
		{"sha512", succeeded(digestOutput("sha512:" + strings.Repeat("ab", 64)))},
		{"upper-case hex", succeeded(digestOutput(strings.ToUpper(validDigest[:7]) + strings.ToUpper(validDigest[7:])))},
		{"upper-case hex digits", succeeded(digestOutput("sha256:" + strings.ToUpper(validDigest[7:])))},
		{"no algorithm", succeeded(digestOutput(validDigest[7:]))},
		{"a whole reference", succeeded(digestOutput("registry.example.com/team-a/shop@" + validDigest))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildImage(tc.wf, "registry.example.com/team-a/shop")
			var specErr *SpecError
			if !errors.As(err, &specErr) {
				t.Fatalf("BuildImage = %q, %v; want a SpecError", got, err)
			}
			if specErr.Reason != v1alpha1.ReasonInvalidDigest || specErr.Field != "status.outputs.parameters[image-digest]" {
				t.Errorf("got reason %s field %s", specErr.Reason, specErr.Field)
			}
			if !strings.Contains(specErr.Detail, tc.wf.Name) {
				t.Errorf("the error does not name Workflow %s: %v", tc.wf.Name, specErr)
			}
		})
	}
}

func TestBuildImageInvalidRepository(t *testing.T) {
	_, err := BuildImage(succeeded(digestOutput(validDigest)), "registry.example.com/Team/Shop")
	var specErr *SpecError
	if !errors.As(err, &specErr) || specErr.Reason != v1alpha1.ReasonInvalidSpec || specErr.Field != "spec.build.imageRepository" {
		t.Errorf("got %v, want an InvalidSpec error on spec.build.imageRepository", err)
	}
}

func TestBuildImageNotSucceeded(t *testing.T) {
	for _, phase := range []wfv1.WorkflowPhase{"", wfv1.WorkflowRunning, wfv1.WorkflowFailed, wfv1.WorkflowError} {
		wf := succeeded(digestOutput(validDigest))
		wf.Status.Phase = phase
		if got, err := BuildImage(wf, "registry.example.com/team-a/shop"); err == nil {
			t.Errorf("phase %q: got image %s", phase, got)
		}
	}
}
