package resources

import (
	"fmt"

	istioapiv1 "istio.io/api/networking/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources/names"
)

// StickyCookie names the revision a visitor got during a sticky rollout.
// One App has one host, so one name serves every App.
const StickyCookie = "knapp-revision"

// Route names of a sticky split.
const (
	routeNameStickyCanary = "sticky-canary"
	routeNameStickyStable = "sticky-stable"
	routeNameStickySplit  = "sticky-split"
)

// stickyRoutes keep each visitor on one revision while a rollout runs: a
// request that carries the cookie of the canary or the stable goes back to
// that revision's tag host; any other is split by the canary's percent
// between the two tag hosts, and its answer sets the cookie of the
// revision it reached. The host is rewritten per destination (Istio turns
// an :authority set on a weighted destination into Envoy's per-cluster
// host rewrite), and every destination is Knative's local gateway, so a
// revision scaled to zero still wakes.
func stickyRoutes(app *v1alpha1.App, plan ReleasePlan, cfg platform.Config) []*istioapiv1.HTTPRoute {
	canary, stable := plan.Canary.Revision, plan.StableRevision
	canaryHost, stableHost := names.TagHost(app, CanaryTag, cfg), names.TagHost(app, StableTag, cfg)
	pinned := func(name, revision, host string) *istioapiv1.HTTPRoute {
		return &istioapiv1.HTTPRoute{
			Name:    name,
			Match:   []*istioapiv1.HTTPMatchRequest{{Headers: map[string]*istioapiv1.StringMatch{"cookie": {MatchType: &istioapiv1.StringMatch_Regex{Regex: CookieRegex(v1alpha1.CookieMatch{Name: StickyCookie, Value: revision})}}}}},
			Rewrite: &istioapiv1.HTTPRewrite{Authority: host},
			Route:   toLocalGateway(cfg, nil),
		}
	}
	var split []*istioapiv1.HTTPRouteDestination
	for _, d := range []struct {
		revision, host string
		weight         int64
	}{{stable, stableHost, 100 - plan.Canary.Percent}, {canary, canaryHost, plan.Canary.Percent}} {
		if d.weight == 0 {
			continue
		}
		dest := toLocalGateway(cfg, &istioapiv1.Headers{
			Request:  &istioapiv1.Headers_HeaderOperations{Set: map[string]string{":authority": d.host}},
			Response: &istioapiv1.Headers_HeaderOperations{Add: map[string]string{"set-cookie": stickyCookie(d.revision)}},
		})[0]
		dest.Weight = int32(d.weight)
		split = append(split, dest)
	}
	if len(split) == 1 {
		split[0].Weight = 0 // one destination takes all; Istio wants no weight then
	}
	return []*istioapiv1.HTTPRoute{
		pinned(routeNameStickyCanary, canary, canaryHost),
		pinned(routeNameStickyStable, stable, stableHost),
		{Name: routeNameStickySplit, Route: split},
	}
}

// stickyCookie is the Set-Cookie value that pins a visitor to revision
// for the whole host, out of scripts' reach.
func stickyCookie(revision string) string {
	return fmt.Sprintf("%s=%s; Path=/; HttpOnly; SameSite=Lax", StickyCookie, revision)
}
