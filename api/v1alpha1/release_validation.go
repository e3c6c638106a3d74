package v1alpha1

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// headerNamePattern: a lower-case HTTP token (Istio matches header names in
// lower case; HTTP/2 sends them so).
var headerNamePattern = regexp.MustCompile(`^[a-z0-9][-a-z0-9!#$%&'*+.^_|~]*$`)

// cookieNamePattern: an HTTP token (RFC 6265 cookie-name).
var cookieNamePattern = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)

// ValidateRelease checks the rules of spec.release that the CRD schema
// cannot: regular expressions, header and cookie names, paths. It names
// each field at fault and what is allowed. The reconciler reports its errors
// in status; an admission webhook can return them.
func ValidateRelease(r *Release, path *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	errs := validateTags(r.Tags, path.Child("tags"))
	if r.Progressive != nil && r.Progressive.Sticky {
		for i, t := range r.Tags {
			if t.Name == StableTagName {
				errs = append(errs, field.Forbidden(path.Child("tags").Index(i).Child("name"),
					"the tag stable is knapp's while progressive.sticky pins visitors; choose another name"))
			}
		}
	}
	errs = append(errs, validateProgressive(r, path)...)
	if r.Canary == nil {
		return errs
	}
	c, cp := r.Canary, path.Child("canary")
	if c.Percent < 0 || c.Percent > 100 {
		errs = append(errs, field.Invalid(cp.Child("percent"), c.Percent, "must be between 0 and 100"))
	}
	// A progressive release compares "latest" with the revision its
	// previous rollout promoted (status.rollout), so it needs no stable.
	if c.Revision == CanaryLatest && r.Stable == "" && r.Progressive == nil {
		errs = append(errs, field.Required(path.Child("stable"),
			`required when canary.revision is "latest": without it the latest revision would be both stable and canary`))
	}
	if r.Stable != "" && c.Revision == r.Stable {
		errs = append(errs, field.Invalid(cp.Child("revision"), c.Revision, "must differ from spec.release.stable: a revision cannot be its own canary"))
	}
	for i, rule := range c.Match {
		errs = append(errs, validateMatchRule(&rule, cp.Child("match").Index(i))...)
	}
	return errs
}

func validateMatchRule(rule *MatchRule, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(rule.Headers) == 0 && rule.Path == nil && rule.Cookie == nil {
		errs = append(errs, field.Required(path, "a match rule needs headers, path or cookie"))
	}
	names := make([]string, 0, len(rule.Headers))
	for name := range rule.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		hp := path.Child("headers").Key(name)
		if !headerNamePattern.MatchString(name) {
			errs = append(errs, field.Invalid(hp, name, "a header name must be a lower-case HTTP token, such as x-canary"))
		}
		m := rule.Headers[name]
		errs = append(errs, validateStringMatch(&m, hp, false)...)
	}
	if rule.Path != nil {
		errs = append(errs, validateStringMatch(rule.Path, path.Child("path"), true)...)
	}
	if _, ok := rule.Headers["cookie"]; ok && rule.Cookie != nil {
		errs = append(errs, field.Invalid(path.Child("headers").Key("cookie"), "cookie",
			"match the Cookie header either with headers.cookie or with the cookie field, not both (Istio matches a header once)"))
	}
	if rule.RewritePath != "" && rule.Path == nil {
		errs = append(errs, field.Required(path.Child("path"),
			"rewritePath replaces the matched path, so the rule needs a path match"))
	}
	if rule.Cookie != nil && !cookieNamePattern.MatchString(rule.Cookie.Name) {
		errs = append(errs, field.Invalid(path.Child("cookie", "name"), rule.Cookie.Name, "a cookie name must be an HTTP token"))
	}
	if rule.Cookie != nil && strings.ContainsAny(rule.Cookie.Value, ";, \t\"\\") {
		errs = append(errs, field.Invalid(path.Child("cookie", "value"), rule.Cookie.Value, `a cookie value may not hold ; , space, tab, " or \`))
	}
	if rule.RewritePath != "" && !strings.HasPrefix(rule.RewritePath, "/") {
		errs = append(errs, field.Invalid(path.Child("rewritePath"), rule.RewritePath, "must start with /"))
	}
	return errs
}

func validateStringMatch(m *StringMatch, path *field.Path, isPath bool) field.ErrorList {
	var errs field.ErrorList
	set := 0
	for _, v := range []*string{m.Exact, m.Prefix, m.Regex} {
		if v != nil {
			set++
		}
	}
	if set != 1 {
		return append(errs, field.Invalid(path, fmt.Sprintf("%d ways", set), "set exactly one of exact, prefix or regex"))
	}
	if m.Regex != nil {
		if _, err := regexp.Compile(*m.Regex); err != nil {
			errs = append(errs, field.Invalid(path.Child("regex"), *m.Regex, "not a valid RE2 regular expression: "+err.Error()))
		}
	}
	if isPath {
		if m.Exact != nil && !strings.HasPrefix(*m.Exact, "/") {
			errs = append(errs, field.Invalid(path.Child("exact"), *m.Exact, "a path must start with /"))
		}
		if m.Prefix != nil && !strings.HasPrefix(*m.Prefix, "/") {
			errs = append(errs, field.Invalid(path.Child("prefix"), *m.Prefix, "a path must start with /"))
		}
	}
	return errs
}

// CanaryTagName is the traffic tag knapp gives the canary; no named tag
// may take it.
const CanaryTagName = "canary"

// StableTagName is the traffic tag knapp gives the stable revision while a
// sticky progressive release runs; no named tag may take it then.
const StableTagName = "stable"

func validateTags(tags []RevisionTag, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, t := range tags {
		tp := p.Index(i)
		switch {
		case t.Name == CanaryTagName:
			errs = append(errs, field.Forbidden(tp.Child("name"), "the tag canary is knapp's (spec.release.canary); choose another name"))
		case len(validation.IsDNS1123Label(t.Name)) > 0:
			errs = append(errs, field.Invalid(tp.Child("name"), t.Name,
				"must be a DNS label: lower-case letters, digits and -, starting and ending with a letter or digit, such as preview-42"))
		case seen[t.Name]:
			errs = append(errs, field.Duplicate(tp.Child("name"), t.Name))
		}
		seen[t.Name] = true
		if t.Revision == "" {
			errs = append(errs, field.Required(tp.Child("revision"), `a revision of this App, or "latest" for the latest revision`))
		}
	}
	return errs
}
