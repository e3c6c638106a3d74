package resources

import (
	"sort"
	"strings"

	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
)

// ShadowingVirtualServices names the VirtualServices among others that
// bind ours' host on ours' gateway, each of which keeps Envoy from serving
// our routes as written: Istio rejects neither, puts the routes of both into
// the host's one virtual host, the older VirtualService's first (by creation
// time, then name), then moves every catch-all route to the end. So an
// older one (such as the one Knative's net-istio made for the App before it
// went cluster-local, whose route matches the authority) answers every
// request, and even a newer one answers all that our match rules do not,
// in place of our split; only a newer bare catch-all would be harmless,
// which no one makes on purpose. test/istiojudge shows each case in
// Istio's own translation (TestTwoVirtualServicesOnOneHostOlderRoutesFirst).
func ShadowingVirtualServices(ours *istiov1.VirtualService, others []*istiov1.VirtualService) []string {
	var shadowing []string
	for _, o := range others {
		if o.Namespace == ours.Namespace && o.Name == ours.Name || !o.DeletionTimestamp.IsZero() {
			continue
		}
		if sharesHostOnGateway(o, ours) {
			shadowing = append(shadowing, o.Namespace+"/"+o.Name)
		}
	}
	sort.Strings(shadowing)
	return shadowing
}

// sharesHostOnGateway: both bind one of ours' hosts (exactly, or through a
// *. wildcard) on one of ours' gateways.
func sharesHostOnGateway(o, ours *istiov1.VirtualService) bool {
	gateway := false
	for _, g := range o.Spec.Gateways {
		for _, og := range ours.Spec.Gateways {
			gateway = gateway || qualifiedGateway(g, o.Namespace) == qualifiedGateway(og, ours.Namespace)
		}
	}
	if !gateway {
		return false
	}
	for _, h := range o.Spec.Hosts {
		for _, oh := range ours.Spec.Hosts {
			if h == oh || h == "*" || strings.HasPrefix(h, "*.") && strings.HasSuffix(oh, h[1:]) {
				return true
			}
		}
	}
	return false
}

// qualifiedGateway is a VirtualService's gateway reference as
// namespace/name: a bare name is in the VirtualService's namespace.
func qualifiedGateway(ref, namespace string) string {
	if strings.Contains(ref, "/") {
		return ref
	}
	return namespace + "/" + ref
}
