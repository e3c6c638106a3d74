package resources

import (
	"fmt"
	"regexp"
	"sort"

	istioapiv1 "istio.io/api/networking/v1"
	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources/names"
)

// localGatewayPort is the HTTP port of Knative's local gateway Service.
const localGatewayPort = 80

// Route names in the VirtualService.
const (
	routeNameCanary = "canary-%d"
	routeNameSplit  = "split"
)

// MakeVirtualService renders a routed plan (one with match rules, or
// sticky) into the Istio VirtualService that binds the App's external host
// on the external gateway. A request matching a rule has its authority
// rewritten to the canary tag's internal host; every other request to the
// Service's internal host, where Knative's percentage split applies, or,
// while visitors stick, to the stable or canary tag host by weight (and by
// the cookie of the revision a visitor got before). All go to Knative's
// local gateway, never straight to a revision, so Knative's activator still
// wakes a revision scaled to zero.
func MakeVirtualService(app *v1alpha1.App, plan ReleasePlan, cfg platform.Config) *istiov1.VirtualService {
	canaryHost := names.TagHost(app, CanaryTag, cfg)
	var routes []*istioapiv1.HTTPRoute
	if plan.Canary != nil {
		for i, rule := range plan.Canary.Match {
			routes = append(routes, &istioapiv1.HTTPRoute{
				Name:    fmt.Sprintf(routeNameCanary, i),
				Match:   []*istioapiv1.HTTPMatchRequest{matchRequest(rule)},
				Rewrite: &istioapiv1.HTTPRewrite{Authority: canaryHost, Uri: rule.RewritePath},
				Route:   toLocalGateway(cfg, nil),
			})
		}
	}
	if plan.Sticky {
		return virtualService(app, cfg, append(routes, stickyRoutes(app, plan, cfg)...))
	}
	return virtualService(app, cfg, append(routes, &istioapiv1.HTTPRoute{
		Name:    routeNameSplit,
		Rewrite: &istioapiv1.HTTPRewrite{Authority: names.InternalHost(app, cfg)},
		Route:   toLocalGateway(cfg, nil),
	}))
}

func virtualService(app *v1alpha1.App, cfg platform.Config, routes []*istioapiv1.HTTPRoute) *istiov1.VirtualService {
	return &istiov1.VirtualService{
		TypeMeta: metav1.TypeMeta{APIVersion: istiov1.SchemeGroupVersion.String(), Kind: "VirtualService"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            names.VirtualService(app),
			Namespace:       app.Namespace,
			Labels:          map[string]string{v1alpha1.LabelApp: app.Name},
			OwnerReferences: []metav1.OwnerReference{ownerReference(app)},
		},
		Spec: istioapiv1.VirtualService{
			Hosts:    []string{names.ExternalHost(app, cfg)},
			Gateways: []string{cfg.ExternalGateway},
			Http:     routes,
		},
	}
}

// toLocalGateway is a destination at Knative's local gateway, with
// headers when given.
func toLocalGateway(cfg platform.Config, headers *istioapiv1.Headers) []*istioapiv1.HTTPRouteDestination {
	return []*istioapiv1.HTTPRouteDestination{{
		Destination: &istioapiv1.Destination{
			Host: cfg.LocalGatewayHost,
			Port: &istioapiv1.PortSelector{Number: localGatewayPort},
		},
		Headers: headers,
	}}
}

// matchRequest ANDs a rule's conditions into one Istio match.
func matchRequest(rule v1alpha1.MatchRule) *istioapiv1.HTTPMatchRequest {
	m := &istioapiv1.HTTPMatchRequest{}
	if len(rule.Headers) > 0 || rule.Cookie != nil {
		m.Headers = map[string]*istioapiv1.StringMatch{}
	}
	keys := make([]string, 0, len(rule.Headers))
	for k := range rule.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.Headers[k] = stringMatch(rule.Headers[k])
	}
	if rule.Cookie != nil {
		m.Headers["cookie"] = &istioapiv1.StringMatch{MatchType: &istioapiv1.StringMatch_Regex{Regex: CookieRegex(*rule.Cookie)}}
	}
	if rule.Path != nil {
		m.Uri = stringMatch(*rule.Path)
	}
	return m
}

func stringMatch(s v1alpha1.StringMatch) *istioapiv1.StringMatch {
	switch {
	case s.Exact != nil:
		return &istioapiv1.StringMatch{MatchType: &istioapiv1.StringMatch_Exact{Exact: *s.Exact}}
	case s.Prefix != nil:
		return &istioapiv1.StringMatch{MatchType: &istioapiv1.StringMatch_Prefix{Prefix: *s.Prefix}}
	default:
		return &istioapiv1.StringMatch{MatchType: &istioapiv1.StringMatch_Regex{Regex: *s.Regex}}
	}
}

// CookieRegex matches a Cookie header that holds the cookie (with the value,
// if one is given) anywhere in its list. Envoy matches a regex against the
// whole header value, so the pattern spans it.
func CookieRegex(c v1alpha1.CookieMatch) string {
	value := `[^;]*`
	if c.Value != "" {
		value = regexp.QuoteMeta(c.Value)
	}
	return `^(.*;\s*)?` + regexp.QuoteMeta(c.Name) + `=` + value + `(;.*)?$`
}

// VirtualServiceOwnedLabelKeys are the label keys knapp manages on its
// VirtualService; every other key belongs to someone else and is kept.
var VirtualServiceOwnedLabelKeys = []string{v1alpha1.LabelApp}
