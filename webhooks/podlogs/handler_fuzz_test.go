package podlogs

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/api/v1alpha1"
)

// anyNamespaceApps finds its Apps by name in every namespace, so that a
// fuzzed namespace reaches HostPath and Inject.
type anyNamespaceApps map[string]*v1alpha1.App

func (a anyNamespaceApps) GetApp(_ context.Context, namespace, name string) (*v1alpha1.App, error) {
	app, ok := a[name]
	if !ok {
		return nil, apierrors.NewNotFound(v1alpha1.GroupVersion.WithResource("apps").GroupResource(), name)
	}
	app = app.DeepCopy()
	app.Namespace = namespace
	return app, nil
}

// FuzzHandle sends an admission request with a fuzzed pod (raw bytes),
// namespace, operation and resource to the Handler, with and without
// controller-runtime's decoder. It never panics and answers allowed (code
// 200, a JSON patch exactly when it patches) or refused with 403 (Denied)
// or 400 (undecodable) and a message. For the pod as the apiserver would
// send it (the raw bytes decoded and encoded again), a patch applies to
// it, gives the pod Inject makes, and a reinvocation with the patched pod
// changes nothing. Seeds are in testdata/fuzz/FuzzHandle.
func FuzzHandle(f *testing.F) {
	apps := anyNamespaceApps{
		"shop":  newApp("", "shop", logsAt("/app/logs")),
		"web":   newApp("", "web", &v1alpha1.Logs{Path: "/var/log/web", Container: "proxy"}),
		"plain": newApp("", "plain", nil),
	}
	f.Fuzz(func(t *testing.T, raw []byte, namespace, operation, resource, subResource string, decode bool) {
		h := &Handler{Apps: apps, Config: cfg}
		if decode {
			h.Decoder = decoders["decoder"]
		}
		req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID:         "4b6e9f3a-0000-4000-8000-000000000001",
			Kind:        metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:    metav1.GroupVersionResource{Version: "v1", Resource: resource},
			SubResource: subResource,
			Namespace:   namespace,
			Operation:   admissionv1.Operation(operation),
			Object:      runtime.RawExtension{Raw: raw},
		}}
		checkResponse(t, h.Handle(context.Background(), req))

		pod := &corev1.Pod{}
		if json.Unmarshal(raw, pod) != nil {
			return
		}
		canonical, err := json.Marshal(pod)
		if err != nil {
			t.Fatal(err)
		}
		req.Object.Raw = canonical
		resp := h.Handle(context.Background(), req)
		checkResponse(t, resp)
		if !resp.Allowed || len(resp.Patches) == 0 {
			return
		}
		ops, err := json.Marshal(resp.Patches)
		if err != nil {
			t.Fatal(err)
		}
		patch, err := jsonpatch.DecodePatch(ops)
		if err != nil {
			t.Fatalf("patch %s: %v", ops, err)
		}
		patched, err := patch.Apply(canonical)
		if err != nil {
			t.Fatalf("patch %s does not apply: %v", ops, err)
		}
		got, want := &corev1.Pod{}, pod.DeepCopy()
		if err := json.Unmarshal(patched, got); err != nil {
			t.Fatal(err)
		}
		app, err := apps.GetApp(context.Background(), namespace, pod.Labels[v1alpha1.LabelApp])
		if err != nil {
			t.Fatal(err)
		}
		if err := Inject(want, namespace, app, cfg); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("the patched pod is not Inject's (%v):\n got %+v\nwant %+v", err, got, want)
		}
		req.Object.Raw = patched
		if again := h.Handle(context.Background(), req); !again.Allowed || len(again.Patches) > 0 {
			t.Fatalf("reinvoked with the patched pod: %+v, %d patches", again.AdmissionResponse, len(again.Patches))
		}
	})
}

// checkResponse: allowed (200), or refused with 403 or 400 and a message;
// a JSON patch type exactly when there are patches.
func checkResponse(t *testing.T, resp admission.Response) {
	t.Helper()
	if (resp.PatchType != nil) != (len(resp.Patches) > 0) || len(resp.Patches) > 0 && *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("patch type %v with %d patches", resp.PatchType, len(resp.Patches))
	}
	r := resp.Result
	switch {
	case resp.Allowed && (r == nil || r.Code == http.StatusOK):
	case resp.Allowed:
		t.Fatalf("allowed with result %+v", r)
	case r == nil || r.Message == "" || r.Code != http.StatusForbidden && r.Code != http.StatusBadRequest:
		t.Fatalf("refused with result %+v", r)
	case len(resp.Patches) > 0:
		t.Fatalf("refused with patches")
	}
}
