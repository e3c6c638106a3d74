package istiojudge

import (
	"path/filepath"
	"testing"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

const (
	publicHost = "shop.sls-local.knapp.example.com"
	// localGateway is Knative's local gateway, which all of knapp's routes
	// go through so that a revision scaled to zero is woken up.
	localGateway = "outbound|80||knative-local-gateway.istio-system.svc.cluster.local"
	appHost      = "shop.team-a.svc.cluster.local"
	canaryHost   = "canary-shop.team-a.svc.cluster.local"
	stableHost   = "stable-shop.team-a.svc.cluster.local"
)

// goldenRoutes are the gateway's routes for the VirtualService of the
// builders' golden file name.
func goldenRoutes(t *testing.T, name string) []*route.Route {
	t.Helper()
	vs := virtualService(t, filepath.Join(goldenDir, name+".yaml"))
	if vs == "" {
		t.Fatalf("%s has no VirtualService", name)
	}
	return gatewayRoutes(t, vs, publicHost)
}

// reach is the route Envoy picks for req and where that route sends it.
func reach(t *testing.T, routes []*route.Route, req request) (*route.Route, []destination) {
	t.Helper()
	r, err := firstMatch(routes, req)
	if err != nil {
		t.Fatal(err)
	}
	if r == nil {
		t.Fatalf("no route matches %+v", req)
	}
	ds, err := destinations(r)
	if err != nil {
		t.Fatal(err)
	}
	return r, ds
}

// A request carrying a canary rule's header, path or cookie reaches the
// canary's host, and one without reaches the App's own host, always through
// Knative's local gateway.
func TestRequestsReachTheHostTheirRuleNames(t *testing.T) {
	cases := []struct {
		file, name string
		req        request
		wantRoute  string
		wantHost   string
	}{
		{"routing-header-and-path-with-percent", "header and path", newRequest("/beta/cart", "x-canary", "true"), "canary-0", canaryHost},
		{"routing-header-and-path-with-percent", "path without the header", newRequest("/beta/cart"), "split", appHost},
		{"routing-header-and-path-with-percent", "header without the path", newRequest("/cart", "x-canary", "true"), "split", appHost},
		{"routing-header-and-path-with-percent", "header value is case-sensitive", newRequest("/beta/cart", "x-canary", "True"), "split", appHost},
		{"routing-header-and-path-with-percent", "both headers of a rule", newRequest("/cart", "x-region", "eu-west-1", "x-user-group", "staff"), "canary-1", canaryHost},
		{"routing-header-and-path-with-percent", "one header of a rule", newRequest("/cart", "x-region", "eu-west-1"), "split", appHost},
		{"routing-header-and-path-with-percent", "regex is a full match", newRequest("/cart", "x-region", "eu-west-1", "x-user-group", "staffers"), "split", appHost},
		{"routing-header-and-path-with-percent", "exact path with a query", newRequest("/new-checkout?step=2"), "canary-2", canaryHost},
		{"routing-header-and-path-with-percent", "below the exact path", newRequest("/new-checkout/step-2"), "split", appHost},
		{"routing-header-and-path-with-percent", "nothing", newRequest("/"), "split", appHost},
		{"routing-cookie", "the cookie among others", newRequest("/", "cookie", "session=1; canary=always; theme=dark"), "canary-0", canaryHost},
		{"routing-cookie", "the cookie alone", newRequest("/", "cookie", "canary=always"), "canary-0", canaryHost},
		{"routing-cookie", "another value", newRequest("/", "cookie", "canary=never"), "split", appHost},
		{"routing-cookie", "no cookie", newRequest("/"), "split", appHost},
	}
	routes := map[string][]*route.Route{}
	for _, c := range cases {
		if routes[c.file] == nil {
			routes[c.file] = goldenRoutes(t, c.file)
		}
		r, ds := reach(t, routes[c.file], c.req)
		if r.GetName() != c.wantRoute || len(ds) != 1 || ds[0].cluster != localGateway || ds[0].host != c.wantHost {
			t.Errorf("%s, %s: %+v took %s to %+v; want %s to %s via %s",
				c.file, c.name, c.req, r.GetName(), ds, c.wantRoute, c.wantHost, localGateway)
		}
	}
}
