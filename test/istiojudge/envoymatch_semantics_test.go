package istiojudge

import (
	"testing"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// The evaluator's own corner cases, pinned to Envoy's behaviour, so that a
// test passing through it is not passing by the evaluator's leniency: a
// regex matches the whole value, a missing header fails a value match even
// inverted, header names are case-insensitive and values are not, and the
// query string is not part of the path.
func TestEvaluatorFollowsEnvoysMatching(t *testing.T) {
	regex := func(re string) *route.HeaderMatcher_StringMatch {
		return &route.HeaderMatcher_StringMatch{StringMatch: &matcher.StringMatcher{
			MatchPattern: &matcher.StringMatcher_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: re}}}}
	}
	exact := &route.HeaderMatcher_StringMatch{StringMatch: &matcher.StringMatcher{
		MatchPattern: &matcher.StringMatcher_Exact{Exact: "true"}}}
	present := &route.HeaderMatcher_PresentMatch{PresentMatch: true}
	cookie := `^(.*;\s*)?knapp-revision=shop-00bbbbbbbb(;.*)?$`
	for _, c := range []struct {
		name  string
		match *route.RouteMatch
		req   request
		want  bool
	}{
		{"prefix ignores the query", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/beta/"}},
			newRequest("/beta/?x=1"), true},
		{"exact path ignores the query", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/new-checkout"}},
			newRequest("/new-checkout?step=2"), true},
		{"exact path is exact", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/new-checkout"}},
			newRequest("/new-checkout/"), false},
		{"paths are case-sensitive by default", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/beta/"}},
			newRequest("/BETA/"), false},
		{"separated prefix wants a segment boundary", &route.RouteMatch{
			PathSpecifier: &route.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: "/beta"}}, newRequest("/betamax"), false},
		{"path regex is a full match", &route.RouteMatch{PathSpecifier: &route.RouteMatch_SafeRegex{
			SafeRegex: &matcher.RegexMatcher{Regex: "/b"}}}, newRequest("/beta"), false},
		{"header names are case-insensitive", headers(&route.HeaderMatcher{Name: "x-canary", HeaderMatchSpecifier: exact}),
			newRequest("/", "X-Canary", "true"), true},
		{"header values are case-sensitive", headers(&route.HeaderMatcher{Name: "x-canary", HeaderMatchSpecifier: exact}),
			newRequest("/", "x-canary", "True"), false},
		{"header regex is a full match", headers(&route.HeaderMatcher{Name: "x-user-group", HeaderMatchSpecifier: regex("staff|beta")}),
			newRequest("/", "x-user-group", "staff-extra"), false},
		{"cookie regex finds the cookie after others", headers(&route.HeaderMatcher{Name: "cookie", HeaderMatchSpecifier: regex(cookie)}),
			newRequest("/", "cookie", "a=1; knapp-revision=shop-00bbbbbbbb; b=2"), true},
		{"cookie regex wants the whole cookie name", headers(&route.HeaderMatcher{Name: "cookie", HeaderMatchSpecifier: regex(cookie)}),
			newRequest("/", "cookie", "not-knapp-revision=shop-00bbbbbbbb"), false},
		{"cookie regex wants the whole value", headers(&route.HeaderMatcher{Name: "cookie", HeaderMatchSpecifier: regex(cookie)}),
			newRequest("/", "cookie", "knapp-revision=shop-00bbbbbbbbx"), false},
		{"inverted value match fails on a missing header", headers(&route.HeaderMatcher{Name: "x-canary", HeaderMatchSpecifier: exact,
			InvertMatch: true}), newRequest("/"), false},
		{"unless missing is treated as empty", headers(&route.HeaderMatcher{Name: "x-canary", HeaderMatchSpecifier: exact,
			InvertMatch: true, TreatMissingHeaderAsEmpty: true}), newRequest("/"), true},
		{"inverted present match takes a missing header", headers(&route.HeaderMatcher{Name: "x-canary", HeaderMatchSpecifier: present,
			InvertMatch: true}), newRequest("/"), true},
		{"present match takes an empty header", headers(&route.HeaderMatcher{Name: "x-canary", HeaderMatchSpecifier: present}),
			newRequest("/", "x-canary", ""), true},
	} {
		got, err := routeMatches(c.match, c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		} else if got != c.want {
			t.Errorf("%s: matched %v, want %v", c.name, got, c.want)
		}
	}
}

// headers is a catch-all path with header matchers.
func headers(hs ...*route.HeaderMatcher) *route.RouteMatch {
	return &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}, Headers: hs}
}
