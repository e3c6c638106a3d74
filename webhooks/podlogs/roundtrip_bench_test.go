package podlogs

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// BenchmarkAdmissionRoundTrip measures what the apiserver waits for: an
// AdmissionReview for a revision pod's CREATE posted over HTTPS on loopback
// to the webhook (controller-runtime's admission.Webhook around Handler),
// and its patched answer read back. It logs p50/p99 and asserts nothing
// about time: these machines are shared.
func BenchmarkAdmissionRoundTrip(b *testing.B) {
	wh := &admission.Webhook{Handler: &Handler{
		Apps:    newFakeApps(newApp("team-a", "shop", logsAt("/app/logs"))),
		Config:  cfg,
		Decoder: admission.NewDecoder(clientgoscheme.Scheme),
	}}
	server := httptest.NewTLSServer(wh)
	defer server.Close()
	client := server.Client()

	req := podRequest("team-a", revisionPodJSON(b))
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1TypeMeta(),
		Request:  &req.AdmissionRequest,
	})
	if err != nil {
		b.Fatal(err)
	}
	var durations []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		resp, err := client.Post(server.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var review admissionv1.AdmissionReview
		err = json.NewDecoder(resp.Body).Decode(&review)
		resp.Body.Close()
		durations = append(durations, time.Since(start))
		if err != nil || review.Response == nil || !review.Response.Allowed || len(review.Response.Patch) == 0 {
			b.Fatalf("answer: %v %+v", err, review.Response)
		}
	}
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	pct := func(p float64) time.Duration { return durations[int(p*float64(len(durations)-1))] }
	b.Logf("%d round trips: p50 %v, p99 %v, max %v", len(durations), pct(0.50), pct(0.99), durations[len(durations)-1])
}

func metav1TypeMeta() (tm metav1.TypeMeta) {
	tm.APIVersion, tm.Kind = "admission.k8s.io/v1", "AdmissionReview"
	return tm
}
