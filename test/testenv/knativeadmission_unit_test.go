package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	jsonpatch "gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// These run the handlers on hand-made requests, without an apiserver, so
// the Knative context setup is checked on every machine.

func request(t *testing.T, op admissionv1.Operation, obj, old any) admission.Request {
	t.Helper()
	raw := func(v any) runtime.RawExtension {
		if v == nil {
			return runtime.RawExtension{}
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return runtime.RawExtension{Raw: b}
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: op,
		Kind:      metav1.GroupVersionKind{Group: "serving.knative.dev", Version: "v1", Kind: "Service"},
		Object:    raw(obj),
		OldObject: raw(old),
		UserInfo:  authenticationv1.UserInfo{Username: "alice"},
	}}
}

func TestDefaultServiceCreate(t *testing.T) {
	resp := DefaultService(context.Background(), request(t, admissionv1.Create, newService("s"), nil))
	if !resp.Allowed {
		t.Fatalf("denied: %+v", resp.Result)
	}
	paths := map[string]any{} // path -> value
	for _, p := range resp.Patches {
		paths[p.Path] = p.Value
	}
	for path, want := range map[string]any{
		"/spec/template/spec/containers/0/name": "user-container",
		"/spec/template/spec/timeoutSeconds":    "300",
	} {
		if got, ok := paths[path]; !ok || fmt.Sprint(got) != want {
			t.Errorf("patch %s = %v, want %v (patches: %v)", path, got, want, resp.Patches)
		}
	}
	if _, ok := paths["/spec/traffic"]; !ok {
		t.Errorf("no traffic default in patches: %v", resp.Patches)
	}
	if !hasAnnotation(resp.Patches, "serving.knative.dev/creator", "alice") {
		t.Errorf("no creator annotation from the user info in patches: %v", resp.Patches)
	}
}

func hasAnnotation(patches []jsonpatch.JsonPatchOperation, key, value string) bool {
	for _, p := range patches {
		if p.Path == "/metadata/annotations" {
			if m, ok := p.Value.(map[string]any); ok && m[key] == value {
				return true
			}
		}
		if p.Path == "/metadata/annotations/"+strings.ReplaceAll(key, "/", "~1") && p.Value == value {
			return true
		}
	}
	return false
}

func TestValidateService(t *testing.T) {
	stored := func(name, image string) *servingv1.Service {
		s := newService("s")
		s.Spec.Template.Name = name
		s.Spec.Template.Spec.Containers[0].Image = image
		s.SetDefaults(context.Background())
		return s
	}
	for name, tc := range map[string]struct {
		op       admissionv1.Operation
		obj, old *servingv1.Service
		want     string // "" means allowed
	}{
		"valid create": {op: admissionv1.Create, obj: stored("", "registry.example.com/team-a/app:1")},
		"negative concurrency": {op: admissionv1.Create, obj: func() *servingv1.Service {
			s := stored("", "registry.example.com/team-a/app:1")
			c := int64(-1)
			s.Spec.Template.Spec.ContainerConcurrency = &c
			return s
		}(), want: "expected 0 <= -1 <= 1000"},
		"BYO name kept on change": {op: admissionv1.Update, obj: stored("s-one", "registry.example.com/team-a/app:2"), old: stored("s-one", "registry.example.com/team-a/app:1"), want: "Saw the following changes without a name change"},
		"BYO name changed":        {op: admissionv1.Update, obj: stored("s-two", "registry.example.com/team-a/app:2"), old: stored("s-one", "registry.example.com/team-a/app:1")},
		"delete":                  {op: admissionv1.Delete, old: stored("", "registry.example.com/team-a/app:1")},
	} {
		t.Run(name, func(t *testing.T) {
			var obj, old any
			if tc.obj != nil {
				obj = tc.obj
			}
			if tc.old != nil {
				old = tc.old
			}
			resp := ValidateService(context.Background(), request(t, tc.op, obj, old))
			switch {
			case tc.want == "" && !resp.Allowed:
				t.Errorf("denied: %s", resp.Result.Message)
			case tc.want != "" && resp.Allowed:
				t.Errorf("allowed, want denial containing %q", tc.want)
			case tc.want != "" && !strings.Contains(resp.Result.Message, tc.want):
				t.Errorf("message = %q, want it to contain %q", resp.Result.Message, tc.want)
			}
		})
	}
}
