package resources

import (
	"errors"
	"regexp"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"knapp.dev/knapp/api/v1alpha1"
)

// envoyFullMatch matches header against pattern as Envoy's safe_regex does:
// RE2 (Go's regexp has the same syntax and semantics) against the whole
// header value.
func envoyFullMatch(t *testing.T, pattern, header string) bool {
	t.Helper()
	full, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		t.Fatalf("CookieRegex made an invalid RE2 pattern %q: %v", pattern, err)
	}
	return full.MatchString(header)
}

func TestCookieRegex(t *testing.T) {
	canaryAlways := v1alpha1.CookieMatch{Name: "canary", Value: "always"}
	canaryAny := v1alpha1.CookieMatch{Name: "canary"}
	tests := []struct {
		name   string
		cookie v1alpha1.CookieMatch
		header string // the request's Cookie header
		want   bool
	}{
		// A cookie with a value.
		{name: "only cookie", cookie: canaryAlways, header: "canary=always", want: true},
		{name: "last cookie", cookie: canaryAlways, header: "a=1; canary=always", want: true},
		{name: "first cookie", cookie: canaryAlways, header: "canary=always; b=2", want: true},
		{name: "middle cookie", cookie: canaryAlways, header: "a=1; canary=always; b=2", want: true},
		{name: "no spaces after ;", cookie: canaryAlways, header: "a=1;canary=always;b=2", want: true},
		{name: "two spaces after ;", cookie: canaryAlways, header: "a=1;  canary=always", want: true},
		{name: "among others of the same value", cookie: canaryAlways, header: "x=always; canary=always; y=always", want: true},
		{name: "a later duplicate matches", cookie: canaryAlways, header: "canary=never; canary=always", want: true},
		{name: "name is a suffix of another", cookie: canaryAlways, header: "xcanary=always", want: false},
		{name: "name is a suffix of another, later in the list", cookie: canaryAlways, header: "a=1; xcanary=always", want: false},
		{name: "name is a prefix of another", cookie: canaryAlways, header: "canaryx=always", want: false},
		{name: "value is a prefix of another", cookie: canaryAlways, header: "canary=alwaysx", want: false},
		{name: "value is a prefix of another, mid list", cookie: canaryAlways, header: "a=1; canary=alwaysx; b=2", want: false},
		{name: "value is a suffix of another", cookie: canaryAlways, header: "canary=xalways", want: false},
		{name: "other value", cookie: canaryAlways, header: "canary=never", want: false},
		{name: "empty value", cookie: canaryAlways, header: "canary=", want: false},
		// "a=canary=always" is one cookie, a, whose value is "canary=always"
		// (= is a cookie-octet in RFC 6265); there is no cookie canary.
		{name: "inside another cookie's value", cookie: canaryAlways, header: "a=canary=always", want: false},
		{name: "inside another cookie's value, later in the list", cookie: canaryAlways, header: "x=1; a=canary=always; b=2", want: false},
		{name: "cookie names are case-sensitive", cookie: canaryAlways, header: "Canary=always", want: false},
		{name: "cookie values are case-sensitive", cookie: canaryAlways, header: "canary=Always", want: false},
		{name: "empty header", cookie: canaryAlways, header: "", want: false},
		{name: "name without =", cookie: canaryAlways, header: "canary", want: false},

		// A cookie with no value requirement.
		{name: "any value: empty", cookie: canaryAny, header: "canary=", want: true},
		{name: "any value: x", cookie: canaryAny, header: "canary=x", want: true},
		{name: "any value: mid list", cookie: canaryAny, header: "a=1; canary=0123; b=2", want: true},
		{name: "any value: value with =", cookie: canaryAny, header: "canary=a=b", want: true},
		{name: "any value: longer name", cookie: canaryAny, header: "canaryx=1", want: false},
		{name: "any value: longer name in a list", cookie: canaryAny, header: "a=1; canaryx=1; b=2", want: false},
		{name: "any value: suffix name", cookie: canaryAny, header: "xcanary=1", want: false},
		{name: "any value: inside another cookie's value", cookie: canaryAny, header: "a=canary=1", want: false},
		{name: "any value: empty header", cookie: canaryAny, header: "", want: false},

		// Regular expression metacharacters in the name and value are quoted.
		{name: "dot in name matches a dot", cookie: v1alpha1.CookieMatch{Name: "a.b", Value: "1"}, header: "a.b=1", want: true},
		{name: "dot in name is not a wildcard", cookie: v1alpha1.CookieMatch{Name: "a.b", Value: "1"}, header: "aXb=1", want: false},
		{name: "dot in name without value is not a wildcard", cookie: v1alpha1.CookieMatch{Name: "a.b"}, header: "aXb=1", want: false},
		{name: "plus in name is literal", cookie: v1alpha1.CookieMatch{Name: "a+b", Value: "1"}, header: "a+b=1", want: true},
		{name: "plus in name is not a repeat", cookie: v1alpha1.CookieMatch{Name: "a+b", Value: "1"}, header: "aab=1", want: false},
		{name: "dollar and caret in name are literal", cookie: v1alpha1.CookieMatch{Name: "$x^", Value: "1"}, header: "$x^=1", want: true},
		{name: "pipe in name is not alternation", cookie: v1alpha1.CookieMatch{Name: "a|b", Value: "1"}, header: "a=1", want: false},
		{name: "dot in value is not a wildcard", cookie: v1alpha1.CookieMatch{Name: "v", Value: "1.0"}, header: "v=1x0", want: false},
		{name: "dot in value matches a dot", cookie: v1alpha1.CookieMatch{Name: "v", Value: "1.0"}, header: "v=1.0", want: true},
		{name: "star in value is literal", cookie: v1alpha1.CookieMatch{Name: "v", Value: "a*"}, header: "v=aaa", want: false},
		{name: "brackets and parentheses in value are literal", cookie: v1alpha1.CookieMatch{Name: "v", Value: "[x](y)?"}, header: "a=1; v=[x](y)?", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pattern := CookieRegex(tc.cookie)
			if got := envoyFullMatch(t, pattern, tc.header); got != tc.want {
				t.Errorf("CookieRegex(%+v) = %q: match of Cookie %q = %v, want %v", tc.cookie, pattern, tc.header, got, tc.want)
			}
			// The pattern is anchored itself, so it means the same to a
			// proxy that searches instead of matching the whole value.
			if got := regexp.MustCompile(pattern).MatchString(tc.header); got != tc.want {
				t.Errorf("CookieRegex(%+v) = %q is not anchored: search in Cookie %q = %v, want %v", tc.cookie, pattern, tc.header, got, tc.want)
			}
		})
	}
}

// A rule that matches the Cookie header by name (headers[cookie]) and also
// sets cookie is refused: Istio matches each header once, so the two cannot
// be ANDed, and dropping one would silently widen the rule.
func TestCookieRuleDoesNotDropAHeaderConditionOnCookie(t *testing.T) {
	exact := "a=1"
	release := &v1alpha1.Release{Stable: "shop-00aaaaaaaa", Canary: &v1alpha1.Canary{
		Revision: "shop-00bbbbbbbb",
		Match: []v1alpha1.MatchRule{{
			Headers: map[string]v1alpha1.StringMatch{"cookie": {Exact: &exact}},
			Cookie:  &v1alpha1.CookieMatch{Name: "canary", Value: "always"},
		}},
	}}
	_, err := PlanRelease(release, sets.New("shop-00aaaaaaaa", "shop-00bbbbbbbb"))
	var specErr *SpecError
	if !errors.As(err, &specErr) || specErr.Field != "spec.release.canary.match[0].headers[cookie]" {
		t.Fatalf("want the rule refused at headers[cookie], got %v", err)
	}
}
