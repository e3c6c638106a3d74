package main

import (
	"sort"
	"strings"
)

// writeKey is one series of apiserver_request_total, summed over the labels
// that do not say what was written (code, scope, version, component).
type writeKey struct {
	Group, Resource, Subresource, Verb string
}

// resource names it as kubectl would, with the subresource after a slash:
// services.serving.knative.dev, apps.knapp.dev/status, pods.
func (k writeKey) resource() string {
	s := k.Resource
	if k.Group != "" {
		s += "." + k.Group
	}
	if k.Subresource != "" {
		s += "/" + k.Subresource
	}
	return s
}

type writeCounts map[writeKey]float64

func (w writeCounts) clone() writeCounts {
	out := make(writeCounts, len(w))
	for k, v := range w {
		out[k] = v
	}
	return out
}

// minus is w - o, without the zeros.
func (w writeCounts) minus(o writeCounts) writeCounts {
	out := writeCounts{}
	for k, v := range w {
		if d := v - o[k]; d != 0 {
			out[k] = d
		}
	}
	for k, v := range o {
		if _, ok := w[k]; !ok && v != 0 {
			out[k] = -v
		}
	}
	return out
}

func (w writeCounts) total() float64 {
	var t float64
	for _, v := range w {
		t += v
	}
	return t
}

// byResource keys the counts by "resource VERB", for the report.
func (w writeCounts) byResource() map[string]float64 {
	out := map[string]float64{}
	for k, v := range w {
		out[k.resource()+" "+k.Verb] += v
	}
	return out
}

// knappGroups are the API groups of what knapp may write (its RBAC in
// config/rbac): Apps' status, Knative Services, VirtualServices, Workflows,
// PingSources and events. The leader election Lease is not among them: the
// benchmark runs knapp without leader election, and leases are also the
// apiserver's own.
var knappGroups = map[string]bool{
	"knapp.dev": true, "serving.knative.dev": true, "networking.istio.io": true,
	"argoproj.io": true, "sources.knative.dev": true, "events.k8s.io": true,
}

// isKnapps tells a write knapp may make from the apiserver's own
// housekeeping (its identity lease, the kubernetes Service's endpoints,
// priority and fairness objects), which no other controller makes here:
// envtest runs no kube-controller-manager or scheduler.
func (k writeKey) isKnapps() bool {
	return knappGroups[k.Group] || (k.Group == "" && k.Resource == "events")
}

// split parts w into knapp's writes and the control plane's own.
func (w writeCounts) split() (knapp, controlPlane writeCounts) {
	knapp, controlPlane = writeCounts{}, writeCounts{}
	for k, v := range w {
		if k.isKnapps() {
			knapp[k] = v
		} else {
			controlPlane[k] = v
		}
	}
	return knapp, controlPlane
}

// sortedKeys are m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// perApp divides each count by n.
func perApp(m map[string]float64, n int) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = ratio(v, float64(n))
	}
	return out
}

// joinCounts renders counts as "resource VERB n, ..." for a table line.
func joinCounts(m map[string]float64, format func(float64) string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+" "+format(m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
