package app

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

var revisionTestT0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// historyRevision is a revision created at t0 plus created minutes, whose
// containers run images.
func historyRevision(name string, created int, images ...string) servingv1.Revision {
	rev := servingv1.Revision{ObjectMeta: metav1.ObjectMeta{
		Namespace:         "team-a",
		Name:              name,
		CreationTimestamp: metav1.NewTime(revisionTestT0.Add(time.Duration(created) * time.Minute)),
	}}
	for i, img := range images {
		rev.Spec.Containers = append(rev.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: img})
	}
	return rev
}

func historyPercent(p int64) *int64 { return &p }

func TestRevisionHistory(t *testing.T) {
	created := func(m int) metav1.Time { return metav1.NewTime(revisionTestT0.Add(time.Duration(m) * time.Minute)) }
	tests := []struct {
		name    string
		revs    []servingv1.Revision
		traffic []v1alpha1.TrafficTarget
		max     int
		want    []v1alpha1.RevisionStatus
	}{{
		name: "no revisions",
		max:  10,
		want: nil,
	}, {
		name: "newest first, whatever the input order",
		revs: []servingv1.Revision{
			historyRevision("shop-b", 2, "img:2"),
			historyRevision("shop-a", 1, "img:1"),
			historyRevision("shop-c", 3, "img:3"),
		},
		max: 10,
		want: []v1alpha1.RevisionStatus{
			{Name: "shop-c", Image: "img:3", Created: created(3)},
			{Name: "shop-b", Image: "img:2", Created: created(2)},
			{Name: "shop-a", Image: "img:1", Created: created(1)},
		},
	}, {
		name: "capped at max, keeping the newest",
		revs: []servingv1.Revision{
			historyRevision("shop-a", 1, "img:1"),
			historyRevision("shop-d", 4, "img:4"),
			historyRevision("shop-b", 2, "img:2"),
			historyRevision("shop-c", 3, "img:3"),
		},
		max: 2,
		want: []v1alpha1.RevisionStatus{
			{Name: "shop-d", Image: "img:4", Created: created(4)},
			{Name: "shop-c", Image: "img:3", Created: created(3)},
		},
	}, {
		name: "max 0 lists nothing",
		revs: []servingv1.Revision{historyRevision("shop-a", 1, "img:1")},
		max:  0,
		want: nil,
	}, {
		name: "image from the first container, not a sidecar",
		revs: []servingv1.Revision{historyRevision("shop-a", 1, "registry.example.com/shop:1.4.2", "envoyproxy/envoy:v1", "fluent-bit:3")},
		max:  10,
		want: []v1alpha1.RevisionStatus{{Name: "shop-a", Image: "registry.example.com/shop:1.4.2", Created: created(1)}},
	}, {
		name: "revision without containers has no image",
		revs: []servingv1.Revision{historyRevision("shop-a", 1)},
		max:  10,
		want: []v1alpha1.RevisionStatus{{Name: "shop-a", Created: created(1)}},
	}, {
		name: "all traffic to one revision",
		revs: []servingv1.Revision{historyRevision("shop-a", 1, "img:1"), historyRevision("shop-b", 2, "img:2")},
		traffic: []v1alpha1.TrafficTarget{
			{RevisionName: "shop-b", LatestRevision: historyBool(true), Percent: historyPercent(100)},
		},
		max: 10,
		want: []v1alpha1.RevisionStatus{
			{Name: "shop-b", Image: "img:2", Created: created(2), Percent: historyPercent(100)},
			{Name: "shop-a", Image: "img:1", Created: created(1)},
		},
	}, {
		name: "percent summed over the entries naming the revision, tags collected",
		revs: []servingv1.Revision{
			historyRevision("shop-a", 1, "img:1"),
			historyRevision("shop-b", 2, "img:2"),
			historyRevision("shop-c", 3, "img:3"),
		},
		traffic: []v1alpha1.TrafficTarget{
			{RevisionName: "shop-a", Percent: historyPercent(60)},
			{RevisionName: "shop-b", Percent: historyPercent(30), Tag: "canary"},
			{RevisionName: "shop-a", Percent: historyPercent(10), Tag: "current"},
			{RevisionName: "shop-a", Tag: "stable"},
			{RevisionName: "shop-c", Tag: "preview"},
		},
		max: 10,
		want: []v1alpha1.RevisionStatus{
			{Name: "shop-c", Image: "img:3", Created: created(3), Tags: []string{"preview"}},
			{Name: "shop-b", Image: "img:2", Created: created(2), Percent: historyPercent(30), Tags: []string{"canary"}},
			{Name: "shop-a", Image: "img:1", Created: created(1), Percent: historyPercent(70), Tags: []string{"current", "stable"}},
		},
	}, {
		name: "a tagged entry with 0 percent reports 0, not nil",
		revs: []servingv1.Revision{historyRevision("shop-a", 1, "img:1")},
		traffic: []v1alpha1.TrafficTarget{
			{RevisionName: "shop-a", Percent: historyPercent(0), Tag: "canary"},
		},
		max:  10,
		want: []v1alpha1.RevisionStatus{{Name: "shop-a", Image: "img:1", Created: created(1), Percent: historyPercent(0), Tags: []string{"canary"}}},
	}, {
		name: "traffic to a revision not listed is ignored",
		revs: []servingv1.Revision{historyRevision("shop-a", 1, "img:1")},
		traffic: []v1alpha1.TrafficTarget{
			{RevisionName: "shop-gone", Percent: historyPercent(100), Tag: "old"},
		},
		max:  10,
		want: []v1alpha1.RevisionStatus{{Name: "shop-a", Image: "img:1", Created: created(1)}},
	}, {
		name: "traffic to a revision cut by max is not listed",
		revs: []servingv1.Revision{historyRevision("shop-a", 1, "img:1"), historyRevision("shop-b", 2, "img:2")},
		traffic: []v1alpha1.TrafficTarget{
			{RevisionName: "shop-a", Percent: historyPercent(100)},
		},
		max:  1,
		want: []v1alpha1.RevisionStatus{{Name: "shop-b", Image: "img:2", Created: created(2)}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := revisionHistory(tc.revs, tc.traffic, tc.max)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("revisionHistory:\n got %s\nwant %s", formatHistory(got), formatHistory(tc.want))
			}
		})
	}
}

// Revisions created in the same second (timestamps have second precision)
// still come out in one order, whatever the order Knative listed them in.
func TestRevisionHistoryOrderIsStableForEqualTimestamps(t *testing.T) {
	a := historyRevision("shop-0a1b2c3d4e", 1, "img:1")
	b := historyRevision("shop-9f8e7d6c5b", 1, "img:2")
	c := historyRevision("shop-5555555555", 1, "img:3")
	first := revisionHistory([]servingv1.Revision{a, b, c}, nil, 10)
	for _, revs := range [][]servingv1.Revision{{c, b, a}, {b, a, c}, {c, a, b}} {
		if got := revisionHistory(revs, nil, 10); !reflect.DeepEqual(got, first) {
			t.Errorf("order depends on the input:\n%s\n%s", formatHistory(first), formatHistory(got))
		}
	}
}

// revisionHistory must not reorder the caller's slice of revisions.
func TestRevisionHistoryLeavesItsInputAlone(t *testing.T) {
	revs := []servingv1.Revision{historyRevision("shop-a", 1, "img:1"), historyRevision("shop-b", 2, "img:2")}
	revisionHistory(revs, nil, 1)
	if revs[0].Name != "shop-a" || revs[1].Name != "shop-b" {
		t.Errorf("input reordered: %s, %s", revs[0].Name, revs[1].Name)
	}
}

func historyBool(b bool) *bool { return &b }

func formatHistory(h []v1alpha1.RevisionStatus) string {
	s := "["
	for i, r := range h {
		if i > 0 {
			s += ", "
		}
		p := "nil"
		if r.Percent != nil {
			p = fmt.Sprint(*r.Percent)
		}
		s += fmt.Sprintf("{%s image=%q created=%s percent=%s tags=%q}", r.Name, r.Image, r.Created.UTC().Format(time.RFC3339), p, r.Tags)
	}
	return s + "]"
}
