package resources

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"knapp.dev/knapp/api/v1alpha1"
)

// Request is what knapp's routes look at: the path (a query is ignored, as
// Envoy matches paths) and the headers, by lower-case name.
type Request struct {
	Path    string
	Headers map[string]string
}

// Share is a revision's part of the percentage split; Latest when it
// follows the latest ready revision.
type Share struct {
	Revision string `json:"revision,omitempty"`
	Latest   bool   `json:"latest,omitempty"`
	Percent  int64  `json:"percent"`
}

// Decision is which revision a request reaches under a release plan and
// why: a match rule or a sticky cookie names one revision; otherwise the
// request takes its chance in the split.
type Decision struct {
	// Rule says in words what decided.
	Rule string `json:"rule"`
	// Revision is the one revision a rule sends the request to.
	Revision string `json:"revision,omitempty"`
	// Split is the shares of the split, when no rule decided.
	Split []Share `json:"split,omitempty"`
}

// RouteRequest says which revision serves req under plan, by the rules
// MakeVirtualService renders, in their order: the canary's match rules,
// then (sticky) the cookie of the revision a visitor got, then the split.
// No request is sent: it is the plan read as Envoy would read its routes.
func RouteRequest(plan ReleasePlan, req Request) Decision {
	c := plan.Canary
	if c != nil {
		canary := revisionName(c.Revision, c.Latest)
		for i, rule := range c.Match {
			if ruleMatches(rule, req) {
				return Decision{Rule: fmt.Sprintf("match rule %d: %s", i+1, MatchRuleWords(rule)), Revision: canary}
			}
		}
		if plan.Sticky {
			for _, rev := range []string{c.Revision, plan.StableRevision} {
				if cookieMatches(v1alpha1.CookieMatch{Name: StickyCookie, Value: rev}, req) {
					return Decision{Rule: fmt.Sprintf("sticky cookie %s=%s", StickyCookie, rev), Revision: rev}
				}
			}
		}
	}
	split := plan.Split()
	words := make([]string, 0, len(split))
	for _, s := range split {
		words = append(words, fmt.Sprintf("%d%% %s", s.Percent, revisionName(s.Revision, s.Latest)))
	}
	return Decision{Rule: "the split: " + strings.Join(words, ", "), Split: split}
}

// Split is the plan's percentage split: the stable takes what the canary
// does not.
func (plan ReleasePlan) Split() []Share {
	split := []Share{{Revision: plan.StableRevision, Latest: plan.StableRevision == "", Percent: 100}}
	if c := plan.Canary; c != nil {
		split[0].Percent = 100 - c.Percent
		split = append(split, Share{Revision: c.Revision, Latest: c.Latest, Percent: c.Percent})
	}
	return split
}

func revisionName(name string, latest bool) string {
	if latest {
		return "the latest ready revision"
	}
	return name
}

// MatchRuleWords says a match rule in words, as users write it: "header
// x-canary: true and path prefix /beta/".
func MatchRuleWords(rule v1alpha1.MatchRule) string {
	var parts []string
	names := make([]string, 0, len(rule.Headers))
	for name := range rule.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		parts = append(parts, "header "+name+stringMatchWords(rule.Headers[name], ": "))
	}
	if rule.Path != nil {
		parts = append(parts, "path"+stringMatchWords(*rule.Path, " "))
	}
	if c := rule.Cookie; c != nil {
		value := "any value"
		if c.Value != "" {
			value = c.Value
		}
		parts = append(parts, fmt.Sprintf("cookie %s=%s", c.Name, value))
	}
	words := strings.Join(parts, " and ")
	if rule.RewritePath != "" {
		words += ", rewritten to " + rule.RewritePath
	}
	return words
}

func stringMatchWords(m v1alpha1.StringMatch, sep string) string {
	switch {
	case m.Exact != nil:
		return sep + *m.Exact
	case m.Prefix != nil:
		return " starting with " + *m.Prefix
	case m.Regex != nil:
		return " matching " + *m.Regex
	}
	return ""
}

// ruleMatches: every condition of the rule holds, as Envoy evaluates the
// route MakeVirtualService renders of it.
func ruleMatches(rule v1alpha1.MatchRule, req Request) bool {
	for name, m := range rule.Headers {
		v, ok := req.Headers[strings.ToLower(name)]
		if !ok || !stringMatches(m, v) {
			return false
		}
	}
	if rule.Path != nil && !stringMatches(*rule.Path, requestPath(req.Path)) {
		return false
	}
	return rule.Cookie == nil || cookieMatches(*rule.Cookie, req)
}

// stringMatches as Envoy's string matcher: a regex must match the whole value.
func stringMatches(m v1alpha1.StringMatch, v string) bool {
	switch {
	case m.Exact != nil:
		return v == *m.Exact
	case m.Prefix != nil:
		return strings.HasPrefix(v, *m.Prefix)
	case m.Regex != nil:
		re, err := regexp.Compile(`^(?:` + *m.Regex + `)$`)
		return err == nil && re.MatchString(v)
	}
	return false
}

func cookieMatches(c v1alpha1.CookieMatch, req Request) bool {
	header, ok := req.Headers["cookie"]
	return ok && regexp.MustCompile(CookieRegex(c)).MatchString(header)
}

// requestPath drops the query and fragment, which Envoy's path matchers ignore.
func requestPath(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}
