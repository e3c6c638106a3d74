package podlogs

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/metrics"
)

// Each decision counts once in knapp_podlogs_admissions_total, by result.
func TestHandlerCountsDecisions(t *testing.T) {
	shop := newApp("team-a", "shop", logsAt("/app/logs"))
	lookupFails := newFakeApps(shop)
	lookupFails.err = errors.New("the cache is not synced")
	unlabelled := revisionPod(t)
	delete(unlabelled.Labels, v1alpha1.LabelApp)
	foreign := revisionPod(t)
	foreign.Spec.Volumes = append(foreign.Spec.Volumes, corev1.Volume{Name: "docker",
		VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}})

	for _, tt := range []struct {
		name   string
		apps   AppGetter
		raw    []byte
		result string
	}{
		{"injected", newFakeApps(shop), revisionPodJSON(t), metrics.PodLogsInjected},
		{"no App label", newFakeApps(shop), marshal(t, unlabelled), metrics.PodLogsUnchanged},
		{"foreign hostPath", newFakeApps(shop), marshal(t, foreign), metrics.PodLogsRefused},
		{"App lookup fails", lookupFails, revisionPodJSON(t), metrics.PodLogsErrored},
		{"not JSON", newFakeApps(shop), []byte("{not json"), metrics.PodLogsErrored},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]float64{}
			for _, r := range []string{metrics.PodLogsInjected, metrics.PodLogsUnchanged, metrics.PodLogsRefused, metrics.PodLogsErrored} {
				before[r] = testutil.ToFloat64(metrics.PodLogsAdmissions.WithLabelValues(r))
			}
			h := &Handler{Apps: tt.apps, Config: cfg}
			h.Handle(context.Background(), podRequest("team-a", tt.raw))
			for r, v := range before {
				want := v
				if r == tt.result {
					want++
				}
				if got := testutil.ToFloat64(metrics.PodLogsAdmissions.WithLabelValues(r)); got != want {
					t.Errorf("knapp_podlogs_admissions_total{result=%q} = %v, want %v", r, got, want)
				}
			}
		})
	}
}
