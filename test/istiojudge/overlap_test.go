package istiojudge

import (
	"fmt"
	"path/filepath"
	"testing"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"sigs.k8s.io/yaml"
)

// knativeIngress is a VirtualService Knative would make for the same host
// on the same gateway, with one route to the App's host: %[1]s is its
// creation time, %[2]s its match: net-istio's matches the authority and
// names the gateway; naming the gateway only leaves a catch-all route.
const knativeIngress = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop-ingress
  namespace: team-a
  creationTimestamp: %[1]q
spec:
  gateways: [knative-serving/knative-ingress-gateway]
  hosts: [shop.sls-local.knapp.example.com]
  http:
  - %[2]s
    route:
    - destination: {host: shop.team-a.svc.cluster.local, port: {number: 80}}
`

const (
	catchAll      = "match: [{gateways: [knative-serving/knative-ingress-gateway]}]"
	authorityOnly = "match: [{authority: {prefix: shop.sls-local.knapp.example.com}, gateways: [knative-serving/knative-ingress-gateway]}]"
	// knative is Knative's route in the lists below: it is unnamed, so it
	// goes by its cluster.
	knative = "outbound|80||shop.team-a.svc.cluster.local"
	older   = "2025-01-01T00:00:00Z"
	newer   = "2025-06-01T00:00:00Z"
)

// When two VirtualServices bind one host on one gateway, Istio rejects
// neither: it puts the routes of both into the one virtual host, the older
// VirtualService's first (by creationTimestamp, then by name; pilot's
// buildGatewayHTTPRouteConfig), and then moves the catch-all routes (prefix
// / with no header match) to the end, keeping their order (SortVHostRoutes).
// So another VirtualService's route shadows knapp's: with net-istio's
// authority match, all of them when it is older and knapp's split even
// when it is newer; only a catch-all in a newer one is harmless. That is why
// knapp may report its routes ready only when no other VirtualService binds
// the host. (ConfigString keeps metadata.creationTimestamp; the fake server
// sets the time only where it is missing.)
func TestTwoVirtualServicesOnOneHostOlderRoutesFirst(t *testing.T) {
	// knapp's canary rule (routing-cookie); the other request has none.
	cookie := newRequest("/", ":authority", publicHost, "cookie", "canary=always")
	plain := newRequest("/", ":authority", publicHost)
	for _, c := range []struct {
		name                 string
		knativeMatch         string
		knappAt, knativeAt   string
		wantOrder            []string // route names
		wantCookie, wantNone string   // the route each request takes
	}{
		{"catch-all, knative's older", catchAll, newer, older,
			[]string{"canary-0", knative, "split"}, "canary-0", knative},
		{"catch-all, knapp's older", catchAll, older, newer,
			[]string{"canary-0", "split", knative}, "canary-0", "split"},
		// Same second: the name decides, and shop-ingress sorts first.
		{"catch-all, same time", catchAll, older, older,
			[]string{"canary-0", knative, "split"}, "canary-0", knative},
		{"authority, knative's older", authorityOnly, newer, older,
			[]string{knative, "canary-0", "split"}, knative, knative},
		{"authority, knapp's older", authorityOnly, older, newer,
			[]string{"canary-0", knative, "split"}, "canary-0", knative},
	} {
		t.Run(c.name, func(t *testing.T) {
			knapp := withCreationTimestamp(t, virtualService(t, filepath.Join(goldenDir, "routing-cookie.yaml")), c.knappAt)
			routes := gatewayRoutes(t, knapp+"\n---\n"+fmt.Sprintf(knativeIngress, c.knativeAt, c.knativeMatch), publicHost)
			var order []string
			for _, r := range routes {
				order = append(order, routeLabel(r))
			}
			if fmt.Sprint(order) != fmt.Sprint(c.wantOrder) {
				t.Errorf("routes %v, want %v", order, c.wantOrder)
			}
			for _, e := range []struct {
				req  request
				want string
			}{{cookie, c.wantCookie}, {plain, c.wantNone}} {
				r, err := firstMatch(routes, e.req)
				if err != nil || r == nil || routeLabel(r) != e.want {
					t.Errorf("%+v took %s (%v), want %s", e.req, describe(r), err, e.want)
				}
			}
		})
	}
}

// routeLabel is a route's name, or its cluster when it has none (Knative's
// routes are unnamed).
func routeLabel(r *route.Route) string {
	if r.GetName() != "" {
		return r.GetName()
	}
	return r.GetRoute().GetCluster()
}

// withCreationTimestamp sets metadata.creationTimestamp of a VirtualService
// in YAML: Istio's config conversion keeps it, and it orders the routes.
func withCreationTimestamp(t *testing.T, vs, at string) string {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(vs), &doc); err != nil {
		t.Fatal(err)
	}
	doc["metadata"].(map[string]any)["creationTimestamp"] = at
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
