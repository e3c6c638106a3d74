package podlogs

import (
	"context"
	"testing"

	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// BenchmarkInject measures Inject on a Knative revision pod, including the
// DeepCopy that gives each iteration a fresh pod (see BenchmarkPodDeepCopy).
func BenchmarkInject(b *testing.B) {
	pod, app := revisionPod(b), newApp("team-a", "shop", logsAt("/app/logs"))
	b.ReportAllocs()
	for b.Loop() {
		p := pod.DeepCopy()
		if err := Inject(p, "team-a", app, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPodDeepCopy is the DeepCopy part of BenchmarkInject.
func BenchmarkPodDeepCopy(b *testing.B) {
	pod := revisionPod(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = pod.DeepCopy()
	}
}

// BenchmarkHandler measures a full Handle of a revision pod's CREATE: decode,
// App lookup (an in-memory fake), Inject, encode and the JSON patch.
func BenchmarkHandler(b *testing.B) {
	h := &Handler{
		Apps:    newFakeApps(newApp("team-a", "shop", logsAt("/app/logs"))),
		Config:  cfg,
		Decoder: admission.NewDecoder(clientgoscheme.Scheme),
	}
	req := podRequest("team-a", revisionPodJSON(b))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp := h.Handle(ctx, req); !resp.Allowed || len(resp.Patches) == 0 {
			b.Fatalf("Handle: %+v", resp.AdmissionResponse)
		}
	}
}
