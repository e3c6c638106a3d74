package appvalidation

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/api/v1alpha1"
)

// FuzzWebhooks sends admission requests with fuzzed raw App and old App
// and operation to the validating and the defaulting webhook as Register
// serves them (panics not recovered, so that the fuzzer sees them). Neither
// panics; each answers allowed, or refused with a 4xx or 5xx code and a
// message, a 422 naming a field in every cause. The defaulting patch only
// touches what Default sets and, applied to the App as the apiserver sends
// it, gives Default's App, which needs no further patch. Seeds are in
// testdata/fuzz/FuzzWebhooks.
func FuzzWebhooks(f *testing.F) {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		f.Fatal(err)
	}
	validating := NewValidatingWebhook(scheme, testValidator()).WithRecoverPanic(false)
	defaulting := NewDefaultingWebhook(scheme).WithRecoverPanic(false)

	f.Fuzz(func(t *testing.T, raw, oldRaw []byte, operation string) {
		ctx := context.Background()
		req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID:       "42",
			Kind:      metav1.GroupVersionKind{Group: "knapp.dev", Version: "v1alpha1", Kind: "App"},
			Resource:  metav1.GroupVersionResource{Group: "knapp.dev", Version: "v1alpha1", Resource: "apps"},
			Name:      "shop",
			Namespace: "team-a",
			Operation: admissionv1.Operation(operation),
			Object:    runtime.RawExtension{Raw: raw},
			OldObject: runtime.RawExtension{Raw: oldRaw},
		}}
		checkAdmission(t, validating.Handle(ctx, req))
		checkAdmission(t, defaulting.Handle(ctx, req))

		// The defaulting patch of the App as the apiserver sends it.
		app := &v1alpha1.App{}
		if json.Unmarshal(raw, app) != nil || req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
			return
		}
		app.APIVersion, app.Kind = v1alpha1.GroupVersion.String(), "App"
		canonical, err := json.Marshal(app)
		if err != nil {
			t.Fatal(err)
		}
		req.Object.Raw = canonical
		resp := defaulting.Handle(ctx, req)
		checkAdmission(t, resp)
		if !resp.Allowed {
			t.Fatalf("defaulting refused %s: %+v", canonical, resp.Result)
		}
		got := app.DeepCopy()
		if len(resp.Patches) > 0 {
			ops, err := json.Marshal(resp.Patches)
			if err != nil {
				t.Fatal(err)
			}
			patch, err := jsonpatch.DecodePatch(ops)
			if err != nil {
				t.Fatal(err)
			}
			patched, err := patch.Apply(canonical)
			if err != nil {
				t.Fatalf("patch %s does not apply to %s: %v", ops, canonical, err)
			}
			got = &v1alpha1.App{}
			if err := json.Unmarshal(patched, got); err != nil {
				t.Fatal(err)
			}
			req.Object.Raw = patched
			if again := defaulting.Handle(ctx, req); len(again.Patches) > 0 {
				t.Fatalf("the defaulted App %s gets another patch %+v", patched, again.Patches)
			}
		}
		want := app.DeepCopy()
		Default(want)
		if !equality.Semantic.DeepEqual(got, want) {
			t.Fatalf("patched App differs from Default's:\n got %+v\nwant %+v", got.Spec, want.Spec)
		}
	})
}

// checkAdmission: allowed (code 200 if any), or refused with a 4xx or 5xx
// code and a message, a 422 with a field in every cause; patches only of
// what Default sets, with their type.
func checkAdmission(t *testing.T, resp admission.Response) {
	t.Helper()
	r := resp.Result
	switch {
	case resp.Allowed && r != nil && r.Code != 0 && r.Code != http.StatusOK:
		t.Fatalf("allowed with result %+v", r)
	case !resp.Allowed && (r == nil || r.Message == "" || r.Code < 400 || r.Code > 599):
		t.Fatalf("refused with result %+v", r)
	case !resp.Allowed && r.Code == http.StatusUnprocessableEntity && (r.Details == nil || len(r.Details.Causes) == 0):
		t.Fatalf("422 without causes: %+v", r)
	}
	if !resp.Allowed && r.Code == http.StatusUnprocessableEntity {
		for _, c := range r.Details.Causes {
			if c.Field == "" {
				t.Fatalf("422 cause without a field: %+v", c)
			}
		}
	}
	if (resp.PatchType != nil) != (len(resp.Patches) > 0) {
		t.Fatalf("patch type %v with %d patches", resp.PatchType, len(resp.Patches))
	}
	for _, op := range resp.Patches {
		if !strings.HasPrefix(op.Path+"/", "/spec/build/") && !strings.HasPrefix(op.Path+"/", "/spec/schedules/") {
			t.Fatalf("patch of %s, which Default does not set", op.Path)
		}
	}
}
