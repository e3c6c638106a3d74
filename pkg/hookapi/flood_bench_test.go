package hookapi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Sizes of the flood: 200 callers at once, each sending floodRequests
// POSTs of 1 MiB per round (one round per b.N).
const (
	floodCallers  = 200
	floodRequests = 5
	floodBody     = 1 << 20
)

// BenchmarkFlood runs the hook API and, in the same process, an HTTP
// handler standing in for the admission webhook server (it decodes an
// AdmissionReview and allows it; the real one is controller-runtime's
// webhook.Server over TLS). It measures the stand-in's latency alone, then
// while 200 callers at once, in a process of their own
// (TestFloodCallerProcess), POST 1 MiB bodies without the App's token (no
// credentials or wrong ones, plain and GitHub-shaped, to an App and to no
// App), and the heap this process holds meanwhile:
//
//	go test ./pkg/hookapi -run '^$' -bench Flood -benchtime 3x
//
// The heap peaks near twice what the handlers hold (32 slots, a 1 MiB
// GitHub body each at most): GOGC=100 lets garbage grow to the live heap.
func BenchmarkFlood(b *testing.B) {
	hooks := httptest.NewServer(NewHandler(world(), Options{}))
	defer hooks.Close()
	admission := httptest.NewServer(admissionStandIn())
	defer admission.Close()
	review := admissionReviewJSON(b)
	admit := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 30 * time.Second}

	// Baseline: the stand-in alone.
	var baseline []time.Duration
	for range 500 {
		baseline = append(baseline, admitOnce(b, admit, admission.URL, review))
	}
	runtime.GC()
	baseHeap, baseRSS := heapInuse(), procStatusMiB("VmRSS")

	var (
		latencies []time.Duration
		peakHeap  uint64 // written by the sampler, read after it ended
		answers   []string
	)
	b.ResetTimer()
	for range b.N {
		done := make(chan struct{})
		var watchers sync.WaitGroup
		watchers.Go(func() {
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				peakHeap = max(peakHeap, heapInuse())
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		})
		// Admission requests, one after another, as long as the flood lasts.
		watchers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				latencies = append(latencies, admitOnce(b, admit, admission.URL, review))
			}
		})
		cmd := exec.Command(os.Args[0], "-test.run=^TestFloodCallerProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), floodURLEnv+"="+hooks.URL)
		out, err := cmd.CombinedOutput()
		close(done)
		watchers.Wait()
		if err != nil {
			b.Fatalf("flood callers: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if a, ok := strings.CutPrefix(line, floodAnswersPrefix); ok {
				answers = append(answers, a)
			}
		}
	}
	b.StopTimer()

	p50, p99 := percentile(latencies, 50), percentile(latencies, 99)
	base99 := percentile(baseline, 99)
	b.ReportMetric(ms(p50), "admit-p50-ms")
	b.ReportMetric(ms(p99), "admit-p99-ms")
	b.ReportMetric(ms(percentile(baseline, 50)), "base-p50-ms")
	b.ReportMetric(ms(base99), "base-p99-ms")
	b.ReportMetric(float64(p99)/float64(base99), "p99-ratio")
	b.ReportMetric(float64(baseHeap)/(1<<20), "base-heap-MiB")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
	if hwm := procStatusMiB("VmHWM"); hwm > 0 {
		b.ReportMetric(baseRSS, "base-rss-MiB")
		b.ReportMetric(hwm, "peak-rss-MiB")
	}
	b.ReportMetric(0, "ns/op")
	b.Logf("flood answers by status per round (0: the connection closed before an answer): %s; %d admission requests during the floods",
		strings.Join(answers, "; "), len(latencies))
	if p99 > time.Second {
		b.Errorf("admission p99 %v during the flood, want under 1s", p99)
	}
}

const (
	floodURLEnv        = "KNAPP_FLOOD_URL"
	floodAnswersPrefix = "flood answers: "
)

// TestFloodCallerProcess is BenchmarkFlood's attacker, run by it in a
// process of its own so that the attackers' CPU and memory are not
// counted as the server's; without KNAPP_FLOOD_URL it does nothing.
func TestFloodCallerProcess(t *testing.T) {
	base := os.Getenv(floodURLEnv)
	if base == "" {
		t.Skip("run by BenchmarkFlood")
	}
	requests := floodRequestsOf(base)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: floodCallers, DisableCompression: true}, Timeout: 60 * time.Second}
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
	)
	for caller := range floodCallers {
		wg.Go(func() {
			for i := range floodRequests {
				code := floodOnce(c, requests[(caller+i)%len(requests)])
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	var summary []string
	for _, code := range slices.Sorted(maps.Keys(codes)) {
		summary = append(summary, fmt.Sprintf("%d:%d", code, codes[code]))
	}
	fmt.Println(floodAnswersPrefix + strings.Join(summary, " "))
}

// heapInuse is the bytes of heap spans in use (MemStats.HeapInuse), read
// without stopping the world as runtime.ReadMemStats does.
func heapInuse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// floodRequest is one kind of unauthenticated request.
type floodRequest struct {
	url    string
	header http.Header
}

// floodRequestsOf are the kinds the flood sends: no credentials, a wrong
// bearer token, a GitHub delivery without signature and one with a wrong
// signature (the only kind whose body is read), to an App and to no App.
func floodRequestsOf(base string) []floodRequest {
	wrongSig := "sha256=" + hex.EncodeToString(GitHubSignature([]byte("wrong"), nil))
	var out []floodRequest
	for _, app := range []string{"shop", "nope"} {
		url := base + hookPath(app)
		out = append(out,
			floodRequest{url, http.Header{"Content-Type": {"application/json"}}},
			floodRequest{url, http.Header{"Authorization": {"Bearer wrong"}}},
			floodRequest{url, http.Header{HeaderGitHubEvent: {"push"}, "Content-Type": {"application/json"}}},
			floodRequest{url, http.Header{HeaderGitHubEvent: {"push"}, HeaderGitHubSignature: {wrongSig}, "Content-Type": {"application/json"}}},
		)
	}
	return out
}

var floodPayload = bytes.Repeat([]byte("x"), floodBody)

// floodOnce sends one 1 MiB POST and returns the status, or 0 when the
// connection closed first (the server refused without reading the body).
func floodOnce(c *http.Client, fr floodRequest) int {
	req, err := http.NewRequest(http.MethodPost, fr.url, bytes.NewReader(floodPayload))
	if err != nil {
		return 0
	}
	req.Header = fr.header.Clone()
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// admissionStandIn stands in for the admission webhook server: it decodes
// an AdmissionReview and allows it, as a webhook with nothing to object to.
func admissionStandIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&review); err != nil || review.Request == nil {
			http.Error(w, "want an AdmissionReview", http.StatusBadRequest)
			return
		}
		var pod corev1.Pod
		if err := json.Unmarshal(review.Request.Object.Raw, &pod); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		review.Response = &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
		review.Request = nil
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(review)
	})
}

// admissionReviewJSON is the review of a pod create, as the apiserver sends.
func admissionReviewJSON(b *testing.B) []byte {
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "shop-00001-deployment-7d9f8-abcde", Namespace: "team-a", Labels: map[string]string{"app": "shop", "serving.knative.dev/revision": "shop-00001"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "user-container", Image: "registry.example.com/team-a/shop@sha256:" + strings.Repeat("ab", 32), Env: []corev1.EnvVar{{Name: "PORT", Value: "8080"}}},
			{Name: "queue-proxy", Image: "gcr.io/knative-releases/queue@sha256:" + strings.Repeat("cd", 32)},
		}},
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		b.Fatal(err)
	}
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID("705ab4f5-6393-11e8-b7cc-42010a800002"), Operation: admissionv1.Create,
			Kind:     metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource: metav1.GroupVersionResource(schema.GroupVersionResource{Version: "v1", Resource: "pods"}),
			Name:     pod.Name, Namespace: pod.Namespace,
		},
	}
	review.Request.Object.Raw = raw
	out, err := json.Marshal(review)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// admitOnce sends one review and returns how long the answer took.
func admitOnce(b *testing.B, c *http.Client, url string, review []byte) time.Duration {
	start := time.Now()
	resp, err := c.Post(url, "application/json", bytes.NewReader(review))
	if err != nil {
		b.Fatalf("admission request: %v", err)
	}
	var answer admissionv1.AdmissionReview
	err = json.NewDecoder(resp.Body).Decode(&answer)
	_ = resp.Body.Close()
	d := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK || answer.Response == nil || !answer.Response.Allowed {
		b.Fatalf("admission answer %d: %v", resp.StatusCode, err)
	}
	return d
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// procStatusMiB is a field of /proc/self/status in MiB, such as VmRSS
// (the resident set) or VmHWM (its peak); 0 where there is none.
func procStatusMiB(field string) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
