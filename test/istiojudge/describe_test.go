package istiojudge

import (
	"fmt"
	"sort"
	"strings"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// describe is one Envoy route in a line: its name, matchers, rewrites and
// where it sends the request. A weighted route lists each cluster with its
// weight, host rewrite and header changes, in Envoy's order, because with
// sticky sessions the cookie a client keeps is set per cluster, not per
// route.
func describe(r *route.Route) string {
	var b strings.Builder
	b.WriteString(r.GetName() + ":")
	m := r.GetMatch()
	switch {
	case m.GetPrefix() != "":
		fmt.Fprintf(&b, " prefix=%s", m.GetPrefix())
	case m.GetPath() != "":
		fmt.Fprintf(&b, " path=%s", m.GetPath())
	case m.GetPathSeparatedPrefix() != "":
		fmt.Fprintf(&b, " path-prefix=%s", m.GetPathSeparatedPrefix())
	case m.GetSafeRegex() != nil:
		fmt.Fprintf(&b, " path-regex=%s", m.GetSafeRegex().GetRegex())
	}
	var headers []string
	for _, h := range m.GetHeaders() {
		headers = append(headers, fmt.Sprintf("%s %s", h.GetName(), headerMatch(h)))
	}
	sort.Strings(headers)
	for _, h := range headers {
		b.WriteString(" header[" + h + "]")
	}
	a := r.GetRoute()
	if a == nil {
		fmt.Fprintf(&b, " -> not a route: %v", r.GetAction())
		return b.String()
	}
	if c := a.GetCluster(); c != "" {
		b.WriteString(" -> " + c)
	}
	if wc := a.GetWeightedClusters(); wc != nil {
		for _, c := range wc.GetClusters() {
			// In parentheses: what is the cluster's, not the route's.
			fmt.Fprintf(&b, " -> (%s weight=%d", c.GetName(), c.GetWeight().GetValue())
			if h := c.GetHostRewriteLiteral(); h != "" {
				b.WriteString(" host=" + h)
			}
			b.WriteString(headerChanges(c.GetRequestHeadersToAdd(), c.GetRequestHeadersToRemove(),
				c.GetResponseHeadersToAdd(), c.GetResponseHeadersToRemove()))
			b.WriteString(")")
		}
	}
	if h := a.GetHostRewriteLiteral(); h != "" {
		b.WriteString(" host=" + h)
	}
	if p := a.GetPrefixRewrite(); p != "" {
		b.WriteString(" prefix-rewrite=" + p)
	}
	if rr := a.GetRegexRewrite(); rr != nil {
		fmt.Fprintf(&b, " regex-rewrite=%s/%s", rr.GetPattern().GetRegex(), rr.GetSubstitution())
	}
	// Route-level header changes: Istio puts a single destination's headers
	// here rather than on a cluster.
	b.WriteString(headerChanges(r.GetRequestHeadersToAdd(), r.GetRequestHeadersToRemove(),
		r.GetResponseHeadersToAdd(), r.GetResponseHeadersToRemove()))
	return b.String()
}

// headerChanges describes header additions and removals, in order, each as
// " <op>-<request|response>-header[name: value]".
func headerChanges(reqAdd []*core.HeaderValueOption, reqRemove []string, respAdd []*core.HeaderValueOption, respRemove []string) string {
	var b strings.Builder
	for _, h := range reqAdd {
		fmt.Fprintf(&b, " %s-request-header[%s: %s]", appendAction(h), h.GetHeader().GetKey(), h.GetHeader().GetValue())
	}
	for _, name := range reqRemove {
		fmt.Fprintf(&b, " remove-request-header[%s]", name)
	}
	for _, h := range respAdd {
		fmt.Fprintf(&b, " %s-response-header[%s: %s]", appendAction(h), h.GetHeader().GetKey(), h.GetHeader().GetValue())
	}
	for _, name := range respRemove {
		fmt.Fprintf(&b, " remove-response-header[%s]", name)
	}
	return b.String()
}

// appendAction names what Envoy does with a header value when the header
// is already there: "add" another value, "set" (overwrite) it, and so on.
func appendAction(h *core.HeaderValueOption) string {
	if h.GetAppend() != nil { // deprecated form, still honoured by Envoy
		if h.GetAppend().GetValue() {
			return "add"
		}
		return "set"
	}
	switch h.GetAppendAction() {
	case core.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
		return "add"
	case core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
		return "set"
	case core.HeaderValueOption_ADD_IF_ABSENT:
		return "add-if-absent"
	case core.HeaderValueOption_OVERWRITE_IF_EXISTS:
		return "overwrite-if-exists"
	}
	return h.GetAppendAction().String()
}

// headerMatch is a header matcher in words: "exact v", "prefix p",
// "regex r", "present", "absent"; "not " in front when it is inverted.
func headerMatch(h *route.HeaderMatcher) string {
	s := headerMatchSpecifier(h)
	if h.GetInvertMatch() {
		s = "not " + s
	}
	if h.GetTreatMissingHeaderAsEmpty() {
		s += " (missing=empty)"
	}
	return s
}

func headerMatchSpecifier(h *route.HeaderMatcher) string {
	if p, ok := h.GetHeaderMatchSpecifier().(*route.HeaderMatcher_PresentMatch); ok {
		if p.PresentMatch {
			return "present"
		}
		return "absent"
	}
	sm := h.GetStringMatch()
	switch {
	case sm == nil:
		return fmt.Sprintf("%v", h.GetHeaderMatchSpecifier())
	case sm.GetIgnoreCase():
		return fmt.Sprintf("%v", sm)
	case sm.GetExact() != "":
		return "exact " + sm.GetExact()
	case sm.GetPrefix() != "":
		return "prefix " + sm.GetPrefix()
	case sm.GetSafeRegex() != nil:
		return "regex " + sm.GetSafeRegex().GetRegex()
	}
	return sm.String()
}
