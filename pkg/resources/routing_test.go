package resources

import (
	"testing"

	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// routingGolden is what one release becomes: the plan, the Knative
// Service's routing labels and traffic, and knapp's VirtualService (none
// unless match rules route requests).
type routingGolden struct {
	Plan           ReleasePlan               `json:"plan"`
	ServiceLabels  map[string]string         `json:"serviceLabels"`
	Traffic        []servingv1.TrafficTarget `json:"traffic"`
	VirtualService *istiov1.VirtualService   `json:"virtualService"`
}

func headerExact(name, value string) map[string]v1alpha1.StringMatch {
	return map[string]v1alpha1.StringMatch{name: {Exact: ptr.To(value)}}
}

func TestRoutingGolden(t *testing.T) {
	revisions := sets.New("shop-00aaaaaaaa", "shop-00bbbbbbbb")
	tests := []struct {
		name    string
		release *v1alpha1.Release
	}{
		{"routing-no-release", nil},
		{"routing-no-canary", &v1alpha1.Release{Stable: "shop-00aaaaaaaa"}},
		{"routing-percent-only", &v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: "shop-00bbbbbbbb", Percent: 10}}},
		{"routing-header-percent-0", &v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: "shop-00bbbbbbbb", Match: []v1alpha1.MatchRule{{Headers: headerExact("x-canary", "true")}}}}},
		{"routing-header-and-path-with-percent", &v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: "shop-00bbbbbbbb", Percent: 20, Match: []v1alpha1.MatchRule{
				{Headers: headerExact("x-canary", "true"), Path: &v1alpha1.StringMatch{Prefix: ptr.To("/beta/")}, RewritePath: "/"},
				{Headers: map[string]v1alpha1.StringMatch{"x-user-group": {Regex: ptr.To("^(staff|beta)$")}, "x-region": {Prefix: ptr.To("eu-")}}},
				{Path: &v1alpha1.StringMatch{Exact: ptr.To("/new-checkout")}},
			}}}},
		{"routing-cookie", &v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: "shop-00bbbbbbbb", Match: []v1alpha1.MatchRule{{Cookie: &v1alpha1.CookieMatch{Name: "canary", Value: "always"}}}}}},
		{"routing-latest-canary", &v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Percent: 5, Match: []v1alpha1.MatchRule{{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Prefix: ptr.To("t")}}}}}}},
		// The release after its match rules were removed: back to Knative's
		// own routes, no VirtualService.
		{"routing-match-rules-removed", &v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: "shop-00bbbbbbbb", Percent: 20}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newApp(func(a *v1alpha1.App) { a.Spec.Release = tc.release })
			assertRoutingGolden(t, tc.name, app, revisions, nil)
		})
	}
}

// assertRoutingGolden renders the App's release (its plan, after adjust
// when given) into the Knative Service, which Knative's own validation
// must accept, and knapp's VirtualService, and compares them with the
// golden file name.
func assertRoutingGolden(t *testing.T, name string, app *v1alpha1.App, revisions sets.Set[string], adjust func(ReleasePlan) ReleasePlan) {
	t.Helper()
	tmpl, err := MakeRevisionTemplate(app, platform.Environment{}, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanRelease(app.Spec.Release, revisions.Clone().Insert(tmpl.Name))
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		plan = adjust(plan)
	}
	ksvc := MakeKnativeService(app, tmpl, plan, ServiceRouting{HoldsHost: true, ClusterLocal: plan.Routed()})
	assertKnativeAccepts(t, app, ksvc)
	out := routingGolden{Plan: plan, ServiceLabels: ksvc.Labels, Traffic: ksvc.Spec.Traffic}
	if plan.Routed() {
		out.VirtualService = MakeVirtualService(app, plan, platform.Default())
	}
	assertGolden(t, name, out)
}
