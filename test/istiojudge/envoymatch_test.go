package istiojudge

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// This file is a small evaluator of Envoy's route matching, so that tests
// can say where a request goes rather than only how the routes read.
// Istio's own pilot/pkg/simulation matches paths only, and knapp's canary
// rules and sticky-session cookies are header matches. It follows Envoy's
// source (source/common/router/config_impl.cc, source/common/http/
// header_utility.cc, source/common/common/matchers.cc) for the matchers
// Istio emits; anything else is an error, never a guess.

// request is what the evaluator routes: a :path (query and fragment
// allowed) and headers by name. Repeated headers are given already joined
// as Envoy joins them before matching (",", or "; " for cookie).
type request struct {
	path    string
	headers map[string]string // lower-case names, as Envoy stores them
}

// newRequest is a request for path with headers given as name, value
// pairs; names are lower-cased because Envoy matches them case-insensitively.
func newRequest(path string, nameValues ...string) request {
	r := request{path: path, headers: map[string]string{}}
	for i := 0; i+1 < len(nameValues); i += 2 {
		r.headers[strings.ToLower(nameValues[i])] = nameValues[i+1]
	}
	return r
}

// firstMatch is the route Envoy picks for req: the first whose matchers
// all match, or nil when none does (Envoy then answers 404).
func firstMatch(routes []*route.Route, req request) (*route.Route, error) {
	for _, r := range routes {
		ok, err := routeMatches(r.GetMatch(), req)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", r.GetName(), err)
		}
		if ok {
			return r, nil
		}
	}
	return nil, nil
}

func routeMatches(m *route.RouteMatch, req request) (bool, error) {
	switch {
	case len(m.GetQueryParameters()) > 0, len(m.GetCookies()) > 0, m.GetRuntimeFraction() != nil,
		m.GetGrpc() != nil, m.GetTlsContext() != nil, len(m.GetDynamicMetadata()) > 0,
		len(m.GetFilterState()) > 0:
		return false, fmt.Errorf("matches on more than path and headers, which this evaluator does not model: %v", m)
	}
	ok, err := pathMatches(m, req.path)
	if err != nil || !ok {
		return false, err
	}
	for _, h := range m.GetHeaders() {
		ok, err := headerMatches(h, req.headers)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// pathMatches: Envoy matches every kind of path specifier against the
// :path without its query and fragment; case_sensitive (default true)
// applies to prefix, exact and separated-prefix, not to regexes.
func pathMatches(m *route.RouteMatch, full string) (bool, error) {
	path := full
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	fold := func(s string) string { return s }
	if cs := m.GetCaseSensitive(); cs != nil && !cs.GetValue() {
		fold = strings.ToLower
	}
	switch p := m.GetPathSpecifier().(type) {
	case *route.RouteMatch_Prefix:
		return strings.HasPrefix(fold(path), fold(p.Prefix)), nil
	case *route.RouteMatch_Path:
		return fold(path) == fold(p.Path), nil
	case *route.RouteMatch_PathSeparatedPrefix:
		prefix := fold(p.PathSeparatedPrefix)
		rest, ok := strings.CutPrefix(fold(path), prefix)
		return ok && (rest == "" || rest[0] == '/'), nil
	case *route.RouteMatch_SafeRegex:
		return fullMatch(p.SafeRegex.GetRegex(), path)
	}
	return false, fmt.Errorf("path specifier %T is not modelled", m.GetPathSpecifier())
}

// headerMatches follows Envoy's HeaderMatcher: a missing header matches
// only present_match false (or, inverted, present_match true), unless
// treat_missing_header_as_empty makes it "" for the value matchers; a
// present header's verdict is flipped by invert_match.
func headerMatches(h *route.HeaderMatcher, headers map[string]string) (bool, error) {
	value, present := headers[strings.ToLower(h.GetName())]
	if p, ok := h.GetHeaderMatchSpecifier().(*route.HeaderMatcher_PresentMatch); ok {
		return (present == p.PresentMatch) != h.GetInvertMatch(), nil
	}
	if !present {
		if !h.GetTreatMissingHeaderAsEmpty() {
			return false, nil
		}
		value = ""
	}
	var match bool
	var err error
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case *route.HeaderMatcher_StringMatch:
		match, err = stringMatches(s.StringMatch, value)
	case *route.HeaderMatcher_ExactMatch:
		// Envoy takes an empty deprecated exact_match for any value.
		match = s.ExactMatch == "" || value == s.ExactMatch
	case *route.HeaderMatcher_PrefixMatch:
		match = strings.HasPrefix(value, s.PrefixMatch)
	case *route.HeaderMatcher_SuffixMatch:
		match = strings.HasSuffix(value, s.SuffixMatch)
	case *route.HeaderMatcher_ContainsMatch:
		match = strings.Contains(value, s.ContainsMatch)
	case *route.HeaderMatcher_SafeRegexMatch:
		match, err = fullMatch(s.SafeRegexMatch.GetRegex(), value)
	case *route.HeaderMatcher_RangeMatch:
		n, perr := strconv.ParseInt(value, 10, 64)
		match = perr == nil && n >= s.RangeMatch.GetStart() && n < s.RangeMatch.GetEnd()
	case nil:
		// No specifier is a presence match in Envoy.
		return present != h.GetInvertMatch(), nil
	default:
		err = fmt.Errorf("header matcher %T is not modelled", s)
	}
	if err != nil {
		return false, err
	}
	return match != h.GetInvertMatch(), nil
}

// stringMatches follows Envoy's StringMatcher: ignore_case folds exact,
// prefix, suffix and contains (ASCII only, as Envoy does); a regex must
// match the whole value.
func stringMatches(sm *matcher.StringMatcher, value string) (bool, error) {
	fold := func(s string) string { return s }
	if sm.GetIgnoreCase() {
		fold = asciiLower
	}
	switch p := sm.GetMatchPattern().(type) {
	case *matcher.StringMatcher_Exact:
		return fold(value) == fold(p.Exact), nil
	case *matcher.StringMatcher_Prefix:
		return strings.HasPrefix(fold(value), fold(p.Prefix)), nil
	case *matcher.StringMatcher_Suffix:
		return strings.HasSuffix(fold(value), fold(p.Suffix)), nil
	case *matcher.StringMatcher_Contains:
		return strings.Contains(fold(value), fold(p.Contains)), nil
	case *matcher.StringMatcher_SafeRegex:
		return fullMatch(p.SafeRegex.GetRegex(), value)
	}
	return false, fmt.Errorf("string matcher %T is not modelled", sm.GetMatchPattern())
}

// fullMatch: Envoy's safe_regex is RE2 and must match the entire value;
// Go's regexp is RE2 too, so anchoring it gives the same answer.
func fullMatch(re, value string) (bool, error) {
	compiled, err := regexp.Compile(`^(?:` + re + `)$`)
	if err != nil {
		return false, err
	}
	return compiled.MatchString(value), nil
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
