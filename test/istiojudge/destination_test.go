package istiojudge

import (
	"fmt"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// destination is one upstream a matched route may send a request to, with
// what Envoy does to the request and response on the way.
type destination struct {
	cluster string
	// weight is the cluster's weight in a weighted route; 0 when the route
	// has a single cluster, which takes all requests.
	weight uint32
	// host is the :authority the upstream sees ("" when not rewritten):
	// Knative's local gateway picks the revision by it.
	host string
	// responseHeaders are "<add|set|...> name: value", the weighted
	// cluster's first and then the route's, the order Envoy applies them.
	responseHeaders []string
}

// destinations are where r sends requests. A host rewrite both on the route
// and on a weighted cluster is an error: which one wins is Envoy's detail
// this evaluator does not model, and knapp's routes never do it.
func destinations(r *route.Route) ([]destination, error) {
	a := r.GetRoute()
	if a == nil {
		return nil, fmt.Errorf("route %q is not a route action: %v", r.GetName(), r.GetAction())
	}
	hostRewrite := ""
	switch h := a.GetHostRewriteSpecifier().(type) {
	case nil:
	case *route.RouteAction_HostRewriteLiteral:
		hostRewrite = h.HostRewriteLiteral
	default:
		return nil, fmt.Errorf("route %q: host rewrite %T is not modelled", r.GetName(), h)
	}
	routeHeaders := headerLines(r.GetResponseHeadersToAdd())
	if c := a.GetCluster(); c != "" {
		return []destination{{cluster: c, host: hostRewrite, responseHeaders: routeHeaders}}, nil
	}
	wc := a.GetWeightedClusters()
	if wc == nil {
		return nil, fmt.Errorf("route %q: cluster specifier %T is not modelled", r.GetName(), a.GetClusterSpecifier())
	}
	var out []destination
	for _, c := range wc.GetClusters() {
		d := destination{cluster: c.GetName(), weight: c.GetWeight().GetValue(), host: hostRewrite}
		if h := c.GetHostRewriteLiteral(); h != "" {
			if hostRewrite != "" {
				return nil, fmt.Errorf("route %q rewrites the host both on the route and on cluster %s", r.GetName(), c.GetName())
			}
			d.host = h
		}
		d.responseHeaders = append(headerLines(c.GetResponseHeadersToAdd()), routeHeaders...)
		out = append(out, d)
	}
	return out, nil
}

// headerLines are header additions as "<add|set|...> name: value", in order.
func headerLines(hs []*core.HeaderValueOption) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %s: %s", appendAction(h), h.GetHeader().GetKey(), h.GetHeader().GetValue()))
	}
	return out
}
