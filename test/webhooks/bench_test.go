package webhooks_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"knapp.dev/knapp/webhooks/podlogs"
)

// BenchmarkPodAdmission creates (and deletes) a revision pod through the
// apiserver: "webhook" with knapp.dev/logs=true, so the apiserver calls
// the pod webhook over TLS and it looks the App up; "no-webhook" the same
// pod without the label, which the objectSelector keeps from the webhook,
// as the baseline. ns/op covers the create and the delete; the logged
// p50/p99 are of the create alone. Nothing is asserted on time.
func BenchmarkPodAdmission(b *testing.B) {
	ns := newNamespace(b, nil)
	create(b, logsApp(ns, "shop", "/app/logs"))
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		logs bool
	}{{"webhook", true}, {"no-webhook", false}} {
		b.Run(bc.name, func(b *testing.B) {
			var creates []time.Duration
			for b.Loop() {
				pod := revisionPod(ns, "", "shop", bc.logs)
				pod.GenerateName = "shop-00001-deployment-"
				start := time.Now()
				if err := k8s.Create(ctx, pod); err != nil {
					b.Fatal(err)
				}
				creates = append(creates, time.Since(start))
				if injected := pod.Annotations[podlogs.AnnotationHostPath] != ""; injected != bc.logs {
					b.Fatalf("pod %s: injected %v, want %v", pod.Name, injected, bc.logs)
				}
				if err := k8s.Delete(ctx, pod); err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(creates)
			q := func(p float64) time.Duration { return creates[int(p*float64(len(creates)-1))] }
			b.Logf("%d pod creates: p50 %v, p90 %v, p99 %v, max %v", len(creates), q(0.50), q(0.90), q(0.99), creates[len(creates)-1])
		})
	}
}
