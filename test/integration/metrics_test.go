package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/pkg/metrics"
)

// Not parallel: the build counters are the process's, so no other test's
// build may finish meanwhile (parallel tests wait until every sequential
// one has run).
//
// An App with a build is counted by the Apps collector as its conditions
// say; the build's start counts once, and its success counts once in
// knapp_builds_total with its run time, through knapp's own reconciles,
// later status writes, repeated reconciles, a restarted knapp's and one
// woken by the Workflow again.
func TestMetricsOfAnAppAndItsBuild(t *testing.T) {
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	a := newApp(ns, "shop", withBuild("main"))
	key := client.ObjectKeyFromObject(a)
	started := metrics.BuildsStarted.WithLabelValues("spec")
	succeeded := metrics.BuildsFinished.WithLabelValues("Succeeded")
	duration := metrics.BuildDuration.WithLabelValues("Succeeded").(prometheus.Histogram)
	started0, succeeded0 := testutil.ToFloat64(started), testutil.ToFloat64(succeeded)
	count0, sum0 := histogram(t, duration)

	create(t, a)
	wf := waitForBuilds(t, a, 1)[0]
	counterBecomes(t, "knapp_builds_started_total{trigger=spec}", started, started0+1)
	waitForApp(t, key, conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionUnknown, "Building"))
	appsInNamespaceAre(t, ns, map[string]float64{
		"BuildSucceeded/Unknown/Building":      1,
		"ServiceReady/Unknown/WaitingForBuild": 1,
		"Ready/Unknown/WaitingForBuild":        1,
	})

	finishBuildIn(t, wf.Name, ns, 90*time.Second)
	waitForApp(t, key, conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionTrue, "Succeeded"))
	counterBecomes(t, "knapp_builds_total{phase=Succeeded}", succeeded, succeeded0+1)
	// Knative reports the Service of the built image ready: one more status
	// write, which lists the build as finished still.
	actAsKnative(t, waitForService(t, key, anyService))
	waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady))
	waitForCacheToCatchUp(t, key)

	// Reconciles that find the build recorded already: knapp's own, a
	// restarted knapp's (nothing in memory), and one the Workflow wakes.
	fresh := &app.Reconciler{Client: reconciler.Client, APIReader: reconciler.APIReader, Recorder: reconciler.Recorder, Platform: reconciler.Platform}
	for _, r := range []*app.Reconciler{reconciler, reconciler, fresh, fresh} {
		if _, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: key}); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
	}
	touchWorkflow(t, ns, wf.Name)
	waitForCacheToCatchUp(t, key)

	if d := testutil.ToFloat64(succeeded) - succeeded0; d != 1 {
		t.Errorf("knapp_builds_total{phase=Succeeded} +%v, want +1: one build finished once", d)
	}
	if d := testutil.ToFloat64(started) - started0; d != 1 {
		t.Errorf("knapp_builds_started_total{trigger=spec} +%v, want +1", d)
	}
	count, sum := histogram(t, duration)
	if count-count0 != 1 || sum-sum0 < 89 || sum-sum0 > 91 {
		t.Errorf("knapp_build_duration_seconds{phase=Succeeded}: +%d observations summing %vs, want one of 90s", count-count0, sum-sum0)
	}
	appsInNamespaceAre(t, ns, map[string]float64{
		"BuildSucceeded/True/Succeeded": 1,
		"DomainReady/True/Ready":        1,
		"ServiceReady/True/Ready":       1,
		"Ready/True/Ready":              1,
	})
	// The collector registered as cmd/knapp does serves the same, among
	// the other tests' Apps.
	mfs, err := metricsRegistry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var series []string
	for _, mf := range mfs {
		if mf.GetName() != "knapp_apps" {
			continue
		}
		for _, m := range mf.GetMetric() {
			series = append(series, seriesOf(m))
		}
	}
	if !slices.Contains(series, `condition="BuildSucceeded",reason="Succeeded",status="True"`) {
		t.Errorf("the registered collector does not count the App: knapp_apps %q", series)
	}
}

// seriesOf is a series' labels as the text format writes them, in order.
func seriesOf(m *dto.Metric) string {
	var labels []string
	for _, l := range m.GetLabel() {
		labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	return strings.Join(labels, ",")
}

// finishBuildIn reports the build Succeeded after running for d, as Argo does.
func finishBuildIn(t *testing.T, name, ns string, d time.Duration) {
	t.Helper()
	eventually(t, "finishing build "+name, func(ctx context.Context) error {
		wf := &wfv1.Workflow{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, wf); err != nil {
			return err
		}
		finished := time.Now().Truncate(time.Second)
		wf.Status.Phase = wfv1.WorkflowSucceeded
		wf.Status.StartedAt = metav1.NewTime(finished.Add(-d))
		wf.Status.FinishedAt = metav1.NewTime(finished)
		wf.Status.Outputs = &wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: "image-digest", Value: wfv1.AnyStringPtr(digestA), GlobalName: "image-digest"}}}
		return k8s.Update(ctx, wf)
	})
}

// touchWorkflow changes a label of the Workflow, which wakes knapp.
func touchWorkflow(t *testing.T, ns, name string) {
	t.Helper()
	eventually(t, "touching build "+name, func(ctx context.Context) error {
		wf := &wfv1.Workflow{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, wf); err != nil {
			return err
		}
		wf.Labels["test.knapp.dev/touched"] = "true"
		return k8s.Update(ctx, wf)
	})
}

// counterBecomes waits until the counter reaches want: knapp counts right
// after the write the test waits for.
func counterBecomes(t *testing.T, what string, c prometheus.Collector, want float64) {
	t.Helper()
	eventually(t, what, func(context.Context) error {
		if got := testutil.ToFloat64(c); got != want {
			return fmt.Errorf("%v, want %v", got, want)
		}
		return nil
	})
}

func histogram(t *testing.T, h prometheus.Histogram) (uint64, float64) {
	t.Helper()
	m := &dto.Metric{}
	if err := h.Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
}

// appsInNamespaceAre waits until an Apps collector over knapp's cache,
// limited to ns, counts want ("condition/status/reason": Apps) and nothing else.
func appsInNamespaceAre(t *testing.T, ns string, want map[string]float64) {
	t.Helper()
	collector := metrics.NewAppsCollector(namespaceReader{Reader: appCache, namespace: ns})
	eventually(t, "knapp_apps in "+ns, func(context.Context) error {
		got, err := appCounts(collector)
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("knapp_apps %v, want %v", got, want)
		}
		return nil
	})
}

func appCounts(c prometheus.Collector) (map[string]float64, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "knapp_apps" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			got[l["condition"]+"/"+l["status"]+"/"+l["reason"]] = m.GetGauge().GetValue()
		}
	}
	return got, nil
}

// namespaceReader lists only in one namespace, so that a test's counts are
// its own Apps'.
type namespaceReader struct {
	client.Reader
	namespace string
}

func (r namespaceReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return r.Reader.List(ctx, list, append(opts, client.InNamespace(r.namespace))...)
}
