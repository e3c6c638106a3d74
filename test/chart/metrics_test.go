package chart

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// checkServiceMonitor: the ServiceMonitor selects the Service knapp-metrics
// (and no other Service of the chart) on its named port, in the release
// namespace, carrying the labels Prometheus selects it by.
func checkServiceMonitor(t *testing.T, r rendered) {
	t.Helper()
	sm := r.Get(t, "ServiceMonitor", "knapp", namespace)
	if sm.GetAPIVersion() != "monitoring.coreos.com/v1" || sm.GetLabels()["release"] != "prometheus" {
		t.Errorf("ServiceMonitor %s labels %v", sm.GetAPIVersion(), sm.GetLabels())
	}
	spec := sm.Object["spec"].(map[string]any)
	want := map[string]any{
		"selector":          spec["selector"],
		"namespaceSelector": map[string]any{"matchNames": []any{namespace}},
		"endpoints":         []any{map[string]any{"port": "metrics", "path": "/metrics", "interval": "15s", "scrapeTimeout": "10s"}},
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("ServiceMonitor spec %v, want %v", spec, want)
	}
	matchLabels := map[string]string{}
	for k, v := range spec["selector"].(map[string]any)["matchLabels"].(map[string]any) {
		matchLabels[k] = v.(string)
	}
	selector := labels.SelectorFromSet(matchLabels)
	for _, svc := range r.Kind("Service") {
		if got, want := selector.Matches(labels.Set(svc.GetLabels())), svc.GetName() == "knapp-metrics"; got != want {
			t.Errorf("the ServiceMonitor selects Service %s: %v", svc.GetName(), got)
		}
	}
	metrics := r.Get(t, "Service", "knapp-metrics", namespace)
	ports, _, _ := unstructured.NestedSlice(metrics.Object, "spec", "ports")
	if len(ports) != 1 || ports[0].(map[string]any)["name"] != "metrics" {
		t.Errorf("knapp-metrics ports %v", ports)
	}
}
