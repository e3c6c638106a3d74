package resources

import (
	"sort"
	"strings"

	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
)

// ShadowingVirtualServices names the VirtualServices among others that
// would keep Envoy from serving ours for its host: Istio concatenates the
// routes of every VirtualService that binds a host on a gateway, oldest
// first (by creation time, then namespace/name), with no warning, so an
// older one that binds our host on our gateway (such as the one Knative's
// net-istio made for the App before it went cluster-local) answers every
// request its routes match, and its catch-all route matches all of them.
// test/istiojudge shows the order in Istio's own translation.
func ShadowingVirtualServices(ours *istiov1.VirtualService, others []*istiov1.VirtualService) []string {
	var shadowing []string
	for _, o := range others {
		if o.Namespace == ours.Namespace && o.Name == ours.Name || !o.DeletionTimestamp.IsZero() {
			continue
		}
		if istioOrderedBefore(o, ours) && sharesHostOnGateway(o, ours) {
			shadowing = append(shadowing, o.Namespace+"/"+o.Name)
		}
	}
	sort.Strings(shadowing)
	return shadowing
}

// istioOrderedBefore is Istio's order of configs: older first, then by
// namespace and name. A VirtualService not created yet (ours, about to
// be) is the newest.
func istioOrderedBefore(a, b *istiov1.VirtualService) bool {
	switch {
	case b.CreationTimestamp.IsZero():
		return true
	case !a.CreationTimestamp.Equal(&b.CreationTimestamp):
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	case a.Namespace != b.Namespace:
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
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
