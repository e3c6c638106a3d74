package podlogs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/api/v1alpha1"
)

// podRequest is the admission request of a pod CREATE in namespace with the
// pod's raw JSON.
func podRequest(namespace string, raw []byte) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "4b6e9f3a-0000-4000-8000-000000000001",
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: namespace,
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

func marshal(t testing.TB, pod *corev1.Pod) []byte {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// decoders: the handler is run with controller-runtime's decoder and with
// none (plain JSON).
var decoders = map[string]admission.Decoder{
	"decoder": admission.NewDecoder(clientgoscheme.Scheme),
	"json":    nil,
}

// applyPatch applies the response's JSON patch to raw and decodes the pod.
func applyPatch(t *testing.T, raw []byte, resp admission.Response) *corev1.Pod {
	t.Helper()
	ops, err := json.Marshal(resp.Patches)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := jsonpatch.DecodePatch(ops)
	if err != nil {
		t.Fatalf("decoding the response's patch: %v", err)
	}
	patched, err := patch.Apply(raw)
	if err != nil {
		t.Fatalf("applying the response's patch: %v", err)
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(patched, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

func TestHandlerPatches(t *testing.T) {
	shop := newApp("team-a", "shop", logsAt("/app/logs"))
	noNamespace := revisionPod(t)
	noNamespace.Namespace = "" // as the ReplicaSet controller may send it
	for _, in := range []struct {
		name string
		raw  []byte
	}{
		{"revision pod as sent", revisionPodJSON(t)},
		{"no namespace in the pod", marshal(t, noNamespace)},
	} {
		for dname, dec := range decoders {
			t.Run(in.name+"/"+dname, func(t *testing.T) {
				h := &Handler{Apps: newFakeApps(shop), Config: cfg, Decoder: dec}
				resp := h.Handle(context.Background(), podRequest("team-a", in.raw))
				if !resp.Allowed || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch || len(resp.Patches) == 0 {
					t.Fatalf("Handle: %+v, want allowed with a JSON patch", resp.AdmissionResponse)
				}
				got := applyPatch(t, in.raw, resp)

				want := &corev1.Pod{}
				if err := json.Unmarshal(in.raw, want); err != nil {
					t.Fatal(err)
				}
				if err := Inject(want, "team-a", shop, cfg); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("patched pod differs from Inject's:\n got %+v\nwant %+v", got, want)
				}
				if got.Annotations[AnnotationHostPath] != shopHostPath || !reflect.DeepEqual(hostPaths(got), []string{shopHostPath}) {
					t.Errorf("patched pod: annotation %q, hostPaths %q", got.Annotations[AnnotationHostPath], hostPaths(got))
				}

				// Reinvoked with the patched pod: nothing more to do.
				again := h.Handle(context.Background(), podRequest("team-a", marshal(t, got)))
				if !again.Allowed || len(again.Patches) != 0 || again.PatchType != nil {
					t.Errorf("Handle of the injected pod: %+v, %d patches; want allowed unchanged", again.AdmissionResponse, len(again.Patches))
				}
			})
		}
	}
}

func TestHandlerAllowsUnchanged(t *testing.T) {
	shop := newApp("team-a", "shop", logsAt("/app/logs"))
	noLogs := newApp("team-a", "plain", nil)
	raw := revisionPodJSON(t)

	withApp := func(app string) []byte {
		p := revisionPod(t)
		p.Labels[v1alpha1.LabelApp] = app
		return marshal(t, p)
	}
	unlabelled := revisionPod(t)
	delete(unlabelled.Labels, v1alpha1.LabelApp)

	update := podRequest("team-a", raw)
	update.Operation = admissionv1.Update
	update.OldObject = runtime.RawExtension{Raw: raw}
	del := podRequest("team-a", nil)
	del.Operation = admissionv1.Delete
	sub := podRequest("team-a", raw)
	sub.SubResource = "ephemeralcontainers"
	notPod := podRequest("team-a", raw)
	notPod.Resource = metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

	for _, tt := range []struct {
		name   string
		req    admission.Request
		reason string
	}{
		{"UPDATE", update, "CREATE only"},
		{"DELETE", del, "CREATE only"},
		{"a subresource", sub, "not a pod"},
		{"not a pod", notPod, "not a pod"},
		{"no knapp.dev/app label", podRequest("team-a", marshal(t, unlabelled)), "no knapp.dev/app label"},
		{"App not found", podRequest("team-a", withApp("gone")), "no App team-a/gone with spec.logs; no logs to inject"},
		{"App of that name in another namespace", podRequest("team-b", raw), "no App team-b/shop with spec.logs; no logs to inject"},
		// The same words as for no App: the answer does not tell who exists.
		{"App without spec.logs", podRequest("team-a", withApp("plain")), "no App team-a/plain with spec.logs; no logs to inject"},
	} {
		for dname, dec := range decoders {
			t.Run(tt.name+"/"+dname, func(t *testing.T) {
				h := &Handler{Apps: newFakeApps(shop, noLogs), Config: cfg, Decoder: dec}
				resp := h.Handle(context.Background(), tt.req)
				if !resp.Allowed || len(resp.Patches) != 0 || resp.PatchType != nil {
					t.Fatalf("Handle: %+v with %d patches; want allowed unchanged", resp.AdmissionResponse, len(resp.Patches))
				}
				if resp.Result == nil || !strings.Contains(resp.Result.Message, tt.reason) {
					t.Errorf("Handle: result %+v, want a reason with %q", resp.Result, tt.reason)
				}
			})
		}
	}
}

func TestHandlerDenies(t *testing.T) {
	shop := newApp("team-a", "shop", logsAt("/app/logs"))
	const ownHostPath = "pods of knapp Apps may not declare hostPath volumes; knapp injects the log directory"

	withVolume := func(v corev1.Volume) []byte {
		p := revisionPod(t)
		p.Spec.Volumes = append(p.Spec.Volumes, v)
		return marshal(t, p)
	}
	hostPath := func(name, path string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}}
	}
	// knapp-logs with our path but another type is not exactly ours.
	almost := wantVolume(shopHostPath)
	almost.HostPath.Type = nil
	otherNs := wantVolume("/var/log/knapp/other-ns/shop")

	for _, tt := range []struct {
		name string
		app  *v1alpha1.App
		raw  []byte
		want []string
	}{
		{"docker socket", shop, withVolume(hostPath("docker", "/var/run/docker.sock")), []string{ownHostPath, `"docker"`}},
		{"the node's root", shop, withVolume(hostPath("root", "/")), []string{ownHostPath, `"root"`}},
		{"knapp-logs pre-seeded with /", shop, withVolume(hostPath("knapp-logs", "/")), []string{ownHostPath, `"knapp-logs"`}},
		{"knapp-logs of another namespace", shop, withVolume(otherNs), []string{ownHostPath, `"knapp-logs"`}},
		{"knapp-logs of another type", shop, withVolume(almost), []string{ownHostPath}},
		{"log container missing", newApp("team-a", "shop", &v1alpha1.Logs{Path: "/app/logs", Container: "writer"}), revisionPodJSON(t),
			[]string{"App team-a/shop asks for logs", `"writer"`, `"user-container", "queue-proxy"`}},
		// The App's rules refuse the token's directory before it could
		// collide with the pod's kube-api-access mount (an App stored before
		// the App webhook existed); inject_test has the collisions.
		{"service-account token path", newApp("team-a", "shop", logsAt("/var/run/secrets/kubernetes.io/serviceaccount")), revisionPodJSON(t),
			[]string{"App team-a/shop asks for logs", "must not be /var/run or below it"}},
		{"bad logs.path", newApp("team-a", "shop", logsAt("/app/../../etc")), revisionPodJSON(t), []string{"logs.path"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{Apps: newFakeApps(tt.app), Config: cfg, Decoder: admission.NewDecoder(clientgoscheme.Scheme)}
			resp := h.Handle(context.Background(), podRequest("team-a", tt.raw))
			if resp.Allowed || len(resp.Patches) != 0 || resp.Result == nil || resp.Result.Code != http.StatusForbidden {
				t.Fatalf("Handle: %+v; want denied (403)", resp.AdmissionResponse)
			}
			for _, s := range tt.want {
				if !strings.Contains(resp.Result.Message, s) {
					t.Errorf("message %q does not contain %q", resp.Result.Message, s)
				}
			}
		})
	}
}

func TestHandlerErrors(t *testing.T) {
	shop := newApp("team-a", "shop", logsAt("/app/logs"))
	lookupFails := newFakeApps(shop)
	lookupFails.err = errors.New("the cache is not synced")

	for _, tt := range []struct {
		name string
		apps AppGetter
		req  admission.Request
		code int32
	}{
		{"App lookup fails", lookupFails, podRequest("team-a", revisionPodJSON(t)), http.StatusInternalServerError},
		{"not JSON", newFakeApps(shop), podRequest("team-a", []byte("{not json")), http.StatusBadRequest},
		{"no object", newFakeApps(shop), podRequest("team-a", nil), http.StatusBadRequest},
		{"no namespace", newFakeApps(shop), podRequest("", revisionPodJSON(t)), http.StatusBadRequest},
	} {
		for dname, dec := range decoders {
			t.Run(tt.name+"/"+dname, func(t *testing.T) {
				h := &Handler{Apps: tt.apps, Config: cfg, Decoder: dec}
				resp := h.Handle(context.Background(), tt.req)
				if resp.Allowed || resp.Result == nil || resp.Result.Code != tt.code {
					t.Fatalf("Handle: %+v; want an error %d", resp.AdmissionResponse, tt.code)
				}
			})
		}
	}
}

func TestClientApps(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	shop := newApp("team-a", "shop", logsAt("/app/logs"))
	apps := ClientApps{Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(shop).Build()}

	got, err := apps.GetApp(context.Background(), "team-a", "shop")
	if err != nil || got.Name != "shop" || got.Spec.Logs == nil || got.Spec.Logs.Path != "/app/logs" {
		t.Errorf("GetApp(team-a, shop) = %+v, %v", got, err)
	}
	h := &Handler{Apps: apps, Config: cfg}
	if resp := h.Handle(context.Background(), podRequest("team-b", revisionPodJSON(t))); !resp.Allowed || len(resp.Patches) != 0 {
		t.Errorf("Handle with no App (client NotFound): %+v, want allowed unchanged", resp.AdmissionResponse)
	}
	if resp := h.Handle(context.Background(), podRequest("team-a", revisionPodJSON(t))); !resp.Allowed || len(resp.Patches) == 0 {
		t.Errorf("Handle with the App: %+v, want a patch", resp.AdmissionResponse)
	}
}
