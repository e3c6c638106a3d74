package resources

import (
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
)

func TestRouteRequest(t *testing.T) {
	plan := ReleasePlan{StableRevision: "shop-1", Canary: &CanaryPlan{Revision: "shop-2", Percent: 10, Match: []v1alpha1.MatchRule{
		{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Exact: ptr.To("true")}}},
		{Path: &v1alpha1.StringMatch{Prefix: ptr.To("/beta/")}, RewritePath: "/"},
		{Cookie: &v1alpha1.CookieMatch{Name: "canary", Value: "always"}},
		{Headers: map[string]v1alpha1.StringMatch{"user-agent": {Regex: ptr.To("iPhone")}}},
	}}}
	sticky := plan
	sticky.Sticky = true
	tests := []struct {
		name     string
		plan     ReleasePlan
		req      Request
		revision string
		rule     string
	}{
		{"the header", plan, Request{Path: "/", Headers: map[string]string{"x-canary": "true"}}, "shop-2", "match rule 1: header x-canary: true"},
		{"the header's value differs", plan, Request{Path: "/", Headers: map[string]string{"x-canary": "True"}}, "", "the split: 90% shop-1, 10% shop-2"},
		{"the path, with a query", plan, Request{Path: "/beta/cart?x=1"}, "shop-2", "match rule 2: path starting with /beta/, rewritten to /"},
		{"the cookie among others", plan, Request{Path: "/", Headers: map[string]string{"cookie": "a=1; canary=always"}}, "shop-2", "match rule 3: cookie canary=always"},
		{"a regex matches the whole value only", plan, Request{Path: "/", Headers: map[string]string{"user-agent": "Mozilla (iPhone)"}}, "", "the split"},
		{"no rule", plan, Request{Path: "/"}, "", "the split: 90% shop-1, 10% shop-2"},
		{"sticky: the canary's cookie", sticky, Request{Path: "/", Headers: map[string]string{"cookie": "knapp-revision=shop-2"}}, "shop-2", "sticky cookie knapp-revision=shop-2"},
		{"sticky: the stable's cookie", sticky, Request{Path: "/", Headers: map[string]string{"cookie": "knapp-revision=shop-1"}}, "shop-1", "sticky cookie knapp-revision=shop-1"},
		{"no canary: the latest takes all", ReleasePlan{}, Request{Path: "/"}, "", "the split: 100% the latest ready revision"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := RouteRequest(tc.plan, tc.req)
			if d.Revision != tc.revision || !strings.HasPrefix(d.Rule, tc.rule) {
				t.Errorf("got %q by %q, want %q by %q", d.Revision, d.Rule, tc.revision, tc.rule)
			}
		})
	}
}
