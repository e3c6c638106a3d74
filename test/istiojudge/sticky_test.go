package istiojudge

import (
	"strings"
	"testing"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// Sticky sessions: a client's knapp-revision cookie keeps it on the
// revision it first got, and a client without one is split by weight and
// handed the cookie of the revision it landed on. The cookie must be
// added (not set) so the App's own Set-Cookie headers survive.
func TestStickySessionsKeepAClientOnItsRevision(t *testing.T) {
	routes := goldenRoutes(t, "rollout-sticky-split")

	// (a) The canary rule still comes first.
	assertReaches(t, routes, newRequest("/", "x-canary", "true"), "canary-0", canaryHost)

	// (b) A revision's cookie, among others, reaches that revision's tag host.
	assertReaches(t, routes, newRequest("/", "cookie", "a=1; knapp-revision=shop-00bbbbbbbb"), "sticky-canary", canaryHost)
	assertReaches(t, routes, newRequest("/", "cookie", "a=1; knapp-revision=shop-00aaaaaaaa"), "sticky-stable", stableHost)

	// (c) No cookie, a look-alike cookie, or the cookie of a revision no
	// longer in the rollout: the weighted split, each cluster rewriting
	// the host itself and adding its own revision's cookie.
	for _, cookie := range []string{"", "not-knapp-revision=shop-00bbbbbbbb", "knapp-revision=shop-00cccccccc"} {
		req := newRequest("/")
		if cookie != "" {
			req = newRequest("/", "cookie", cookie)
		}
		r, ds := reach(t, routes, req)
		if r.GetName() != "sticky-split" {
			t.Errorf("cookie %q took route %s, want sticky-split", cookie, r.GetName())
			continue
		}
		if h := r.GetRoute().GetHostRewriteLiteral(); h != "" {
			t.Errorf("sticky-split rewrites the host to %s on the route; the clusters must do it", h)
		}
		if len(ds) != 2 {
			t.Fatalf("sticky-split has %d destinations, want 2: %+v", len(ds), ds)
		}
		assertSplit(t, ds[0], 90, stableHost, "shop-00aaaaaaaa")
		assertSplit(t, ds[1], 10, canaryHost, "shop-00bbbbbbbb")
	}
}

// (d) With the canary at 0% the split has the stable revision alone, still
// handing out its cookie, and the canary's cookie still reaches the canary.
func TestStickyCohortOnlySplitsToStableAlone(t *testing.T) {
	routes := goldenRoutes(t, "rollout-sticky-cohort-only")
	assertReaches(t, routes, newRequest("/", "cookie", "knapp-revision=shop-00bbbbbbbb"), "sticky-canary", canaryHost)
	r, ds := reach(t, routes, newRequest("/"))
	if r.GetName() != "sticky-split" || len(ds) != 1 {
		t.Fatalf("a request without cookie took %s to %+v; want sticky-split to one destination", r.GetName(), ds)
	}
	assertSplit(t, ds[0], 0, stableHost, "shop-00aaaaaaaa")
}

// assertReaches: req takes the route named wantRoute, which sends it to
// wantHost through Knative's local gateway, and to nothing else.
func assertReaches(t *testing.T, routes []*route.Route, req request, wantRoute, wantHost string) {
	t.Helper()
	r, ds := reach(t, routes, req)
	if r.GetName() != wantRoute || len(ds) != 1 || ds[0].cluster != localGateway || ds[0].host != wantHost {
		t.Errorf("%+v took %s to %+v; want %s to %s via %s", req, r.GetName(), ds, wantRoute, wantHost, localGateway)
	}
}

// assertSplit: d goes through Knative's local gateway with weight, to host,
// adding exactly one response header, the cookie naming revision.
func assertSplit(t *testing.T, d destination, weight uint32, host, revision string) {
	t.Helper()
	cookie := "add set-cookie: knapp-revision=" + revision + ";"
	if d.cluster != localGateway || d.weight != weight || d.host != host ||
		len(d.responseHeaders) != 1 || !strings.HasPrefix(d.responseHeaders[0], cookie) {
		t.Errorf("destination %+v; want %s weight %d host %s adding %q...", d, localGateway, weight, host, cookie)
	}
}
