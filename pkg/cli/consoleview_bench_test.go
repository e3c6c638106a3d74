package cli

import (
	"encoding/json"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
)

// benchApps are n Apps each with a stable, a canary at 10 % and a match
// rule, as the list page draws them.
func benchApps(n int) []v1alpha1.App {
	apps := make([]v1alpha1.App, n)
	for i := range apps {
		name := fmt.Sprintf("app-%04d", i)
		stable, canary := name+"-aaaaaaaaaa", name+"-bbbbbbbbbb"
		apps[i] = v1alpha1.App{
			ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name},
			Spec: v1alpha1.AppSpec{Image: "registry.example.com/" + name + ":2", Release: &v1alpha1.Release{
				Stable: stable,
				Canary: &v1alpha1.Canary{Revision: canary, Percent: 10, Match: []v1alpha1.MatchRule{
					{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Exact: ptr.To("true")}}}}},
			}},
			Status: v1alpha1.AppStatus{
				URL: "http://" + name + ".apps.example.com", LatestReadyRevisionName: canary, StableRevision: stable, CanaryRevision: canary,
				Revisions: []v1alpha1.RevisionStatus{
					{Name: canary, Image: "registry.example.com/" + name + ":2", Percent: ptr.To[int64](10), Tags: []string{"canary"}},
					{Name: stable, Image: "registry.example.com/" + name + ":1", Percent: ptr.To[int64](90)},
				},
			},
		}
	}
	return apps
}

// BenchmarkListPage is one send of a list page's stream: each App's view,
// sorted, as JSON. The baseline is the Apps themselves as JSON, what
// kubectl get -o json would print.
func BenchmarkListPage(b *testing.B) {
	for _, n := range []int{100, 1000} {
		apps := benchApps(n)
		b.Run(fmt.Sprintf("apps=%d/baseline-json", n), func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				data, _ := json.Marshal(apps)
				size = len(data)
			}
			b.ReportMetric(float64(size)/1024, "KiB/list")
		})
		b.Run(fmt.Sprintf("apps=%d/console", n), func(b *testing.B) {
			b.ReportAllocs()
			s := &console{namespace: "team-a"}
			size := 0
			list := &v1alpha1.AppList{Items: apps}
			for b.Loop() {
				data, _ := json.Marshal(s.appsView(viewsOf(list)))
				size = len(data)
			}
			b.ReportMetric(float64(size)/1024, "KiB/list")
		})
	}
}
