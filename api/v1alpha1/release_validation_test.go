package v1alpha1

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func matchStr(s string) *string { return &s }

// wantFieldError is one error ValidateRelease must report: its field path
// exactly, its type, and a part of the detail that says what is allowed.
type wantFieldError struct {
	field  string
	typ    field.ErrorType
	detail string
}

// checkFieldErrors: errs are want, in order, each with its field, type and
// a detail that says want's.
func checkFieldErrors(t *testing.T, errs field.ErrorList, want []wantFieldError) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(errs), len(want), errs.ToAggregate())
	}
	for i, w := range want {
		got := errs[i]
		if got.Field != w.field {
			t.Errorf("error %d: field %q, want %q (%v)", i, got.Field, w.field, got)
		}
		if got.Type != w.typ {
			t.Errorf("error %d: type %q, want %q (%v)", i, got.Type, w.typ, got)
		}
		if !strings.Contains(got.Detail, w.detail) {
			t.Errorf("error %d: detail %q does not say %q", i, got.Detail, w.detail)
		}
	}
}

// canaryWith is a release whose canary has the given match rules.
func canaryWith(rules ...MatchRule) *Release {
	return &Release{Stable: "shop-00001", Canary: &Canary{Revision: "shop-00002", Percent: 10, Match: rules}}
}

func headerRule(name string, m StringMatch) MatchRule {
	return MatchRule{Headers: map[string]StringMatch{name: m}}
}

func TestValidateRelease(t *testing.T) {
	const match0 = "spec.release.canary.match[0]"
	tests := []struct {
		name    string
		release *Release
		want    []wantFieldError
	}{
		// Valid releases.
		{name: "nil release", release: nil},
		{name: "no canary", release: &Release{Stable: "shop-00001"}},
		{name: "canary without stable", release: &Release{Canary: &Canary{Revision: "shop-00002", Percent: 50}}},
		{name: "percent 0", release: &Release{Stable: "shop-00001", Canary: &Canary{Revision: "shop-00002", Percent: 0}}},
		{name: "percent 100", release: &Release{Stable: "shop-00001", Canary: &Canary{Revision: "shop-00002", Percent: 100}}},
		{name: "canary latest", release: &Release{Stable: "shop-00001", Canary: &Canary{Revision: CanaryLatest}}},
		{name: "header exact", release: canaryWith(headerRule("x-canary", StringMatch{Exact: matchStr("true")}))},
		{name: "header prefix", release: canaryWith(headerRule("x-canary", StringMatch{Prefix: matchStr("tr")}))},
		{name: "header regex", release: canaryWith(headerRule("user-agent", StringMatch{Regex: matchStr(`.*(iPhone|Android).*`)}))},
		{name: "header name with token characters", release: canaryWith(headerRule("x-b3_sampled.v2", StringMatch{Exact: matchStr("1")}))},
		{name: "path prefix", release: canaryWith(MatchRule{Path: &StringMatch{Prefix: matchStr("/api/v2")}})},
		{name: "path exact", release: canaryWith(MatchRule{Path: &StringMatch{Exact: matchStr("/")}})},
		{name: "path regex need not start with /", release: canaryWith(MatchRule{Path: &StringMatch{Regex: matchStr(`.*\.json`)}})},
		{name: "cookie with value", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "canary", Value: "always"}})},
		{name: "cookie without value", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "canary"}})},
		{name: "cookie name with token characters", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "__Host-session.id", Value: "a%20b=c"}})},
		{name: "rewritePath", release: canaryWith(MatchRule{Path: &StringMatch{Prefix: matchStr("/v2/")}, RewritePath: "/"})},
		{name: "all conditions in one rule and several rules", release: canaryWith(
			MatchRule{
				Headers:     map[string]StringMatch{"x-canary": {Exact: matchStr("1")}, "x-team": {Prefix: matchStr("a")}},
				Path:        &StringMatch{Prefix: matchStr("/api")},
				Cookie:      &CookieMatch{Name: "canary", Value: "always"},
				RewritePath: "/v2/api",
			},
			MatchRule{Cookie: &CookieMatch{Name: "beta"}},
		)},

		// Canary.
		{name: "percent -1", release: &Release{Canary: &Canary{Revision: "shop-00002", Percent: -1}},
			want: []wantFieldError{{"spec.release.canary.percent", field.ErrorTypeInvalid, "between 0 and 100"}}},
		{name: "percent 101", release: &Release{Canary: &Canary{Revision: "shop-00002", Percent: 101}},
			want: []wantFieldError{{"spec.release.canary.percent", field.ErrorTypeInvalid, "between 0 and 100"}}},
		{name: "canary revision equal to stable", release: &Release{Stable: "shop-00001", Canary: &Canary{Revision: "shop-00001"}},
			want: []wantFieldError{{"spec.release.canary.revision", field.ErrorTypeInvalid, "must differ from spec.release.stable"}}},

		// Regular expressions.
		{name: "invalid header regex", release: canaryWith(headerRule("x-canary", StringMatch{Regex: matchStr("(")})),
			want: []wantFieldError{{match0 + ".headers[x-canary].regex", field.ErrorTypeInvalid, "not a valid RE2 regular expression"}}},
		{name: "invalid path regex", release: canaryWith(MatchRule{Path: &StringMatch{Regex: matchStr("(")}}),
			want: []wantFieldError{{match0 + ".path.regex", field.ErrorTypeInvalid, "not a valid RE2 regular expression"}}},
		{name: "Perl lookahead is not RE2", release: canaryWith(MatchRule{Path: &StringMatch{Regex: matchStr(`/(?!admin)`)}}),
			want: []wantFieldError{{match0 + ".path.regex", field.ErrorTypeInvalid, "not a valid RE2 regular expression"}}},

		// Header names.
		{name: "upper-case header name", release: canaryWith(headerRule("X-Canary", StringMatch{Exact: matchStr("1")})),
			want: []wantFieldError{{match0 + ".headers[X-Canary]", field.ErrorTypeInvalid, "lower-case HTTP token, such as x-canary"}}},
		{name: "header name with a space", release: canaryWith(headerRule("x canary", StringMatch{Exact: matchStr("1")})),
			want: []wantFieldError{{match0 + ".headers[x canary]", field.ErrorTypeInvalid, "lower-case HTTP token"}}},
		{name: "pseudo-header name", release: canaryWith(headerRule(":authority", StringMatch{Exact: matchStr("shop.example.com")})),
			want: []wantFieldError{{match0 + ".headers[:authority]", field.ErrorTypeInvalid, "lower-case HTTP token"}}},
		{name: "empty header name", release: canaryWith(headerRule("", StringMatch{Exact: matchStr("1")})),
			want: []wantFieldError{{match0 + ".headers[]", field.ErrorTypeInvalid, "lower-case HTTP token"}}},

		// Paths.
		{name: "path exact without /", release: canaryWith(MatchRule{Path: &StringMatch{Exact: matchStr("api")}}),
			want: []wantFieldError{{match0 + ".path.exact", field.ErrorTypeInvalid, "must start with /"}}},
		{name: "path prefix without /", release: canaryWith(MatchRule{Path: &StringMatch{Prefix: matchStr("api/")}}),
			want: []wantFieldError{{match0 + ".path.prefix", field.ErrorTypeInvalid, "must start with /"}}},
		{name: "empty path prefix", release: canaryWith(MatchRule{Path: &StringMatch{Prefix: matchStr("")}}),
			want: []wantFieldError{{match0 + ".path.prefix", field.ErrorTypeInvalid, "must start with /"}}},

		// StringMatch kinds.
		{name: "header match with no kind", release: canaryWith(headerRule("x-canary", StringMatch{})),
			want: []wantFieldError{{match0 + ".headers[x-canary]", field.ErrorTypeInvalid, "exactly one of exact, prefix or regex"}}},
		{name: "header match with two kinds", release: canaryWith(headerRule("x-canary", StringMatch{Exact: matchStr("1"), Regex: matchStr("1")})),
			want: []wantFieldError{{match0 + ".headers[x-canary]", field.ErrorTypeInvalid, "exactly one of exact, prefix or regex"}}},
		{name: "path match with no kind", release: canaryWith(MatchRule{Path: &StringMatch{}}),
			want: []wantFieldError{{match0 + ".path", field.ErrorTypeInvalid, "exactly one of exact, prefix or regex"}}},
		{name: "path match with two kinds", release: canaryWith(MatchRule{Path: &StringMatch{Exact: matchStr("/a"), Prefix: matchStr("/a")}}),
			want: []wantFieldError{{match0 + ".path", field.ErrorTypeInvalid, "exactly one of exact, prefix or regex"}}},
		{name: "path match with three kinds", release: canaryWith(MatchRule{Path: &StringMatch{Exact: matchStr("/a"), Prefix: matchStr("/a"), Regex: matchStr("/a")}}),
			want: []wantFieldError{{match0 + ".path", field.ErrorTypeInvalid, "exactly one of exact, prefix or regex"}}},

		// Cookies.
		{name: "cookie name with a space", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "a b"}}),
			want: []wantFieldError{{match0 + ".cookie.name", field.ErrorTypeInvalid, "HTTP token"}}},
		{name: "cookie name with ;", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "a;b"}}),
			want: []wantFieldError{{match0 + ".cookie.name", field.ErrorTypeInvalid, "HTTP token"}}},
		{name: "cookie name with =", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "a=b"}}),
			want: []wantFieldError{{match0 + ".cookie.name", field.ErrorTypeInvalid, "HTTP token"}}},
		{name: "empty cookie name", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "", Value: "1"}}),
			want: []wantFieldError{{match0 + ".cookie.name", field.ErrorTypeInvalid, "HTTP token"}}},
		{name: "cookie value with ;", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "canary", Value: "a;b"}}),
			want: []wantFieldError{{match0 + ".cookie.value", field.ErrorTypeInvalid, "may not hold ;"}}},
		{name: "cookie value with a space", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "canary", Value: "a b"}}),
			want: []wantFieldError{{match0 + ".cookie.value", field.ErrorTypeInvalid, "may not hold ;"}}},

		// Rules.
		{name: "rewritePath without /", release: canaryWith(MatchRule{Path: &StringMatch{Prefix: matchStr("/v2")}, RewritePath: "v1"}),
			want: []wantFieldError{{match0 + ".rewritePath", field.ErrorTypeInvalid, "must start with /"}}},
		{name: "rule with no condition", release: canaryWith(MatchRule{}),
			want: []wantFieldError{{match0, field.ErrorTypeRequired, "needs headers, path or cookie"}}},
		{name: "rule with only rewritePath", release: canaryWith(MatchRule{RewritePath: "/v2"}),
			want: []wantFieldError{
				{match0, field.ErrorTypeRequired, "needs headers, path or cookie"},
				{match0 + ".path", field.ErrorTypeRequired, "needs a path match"},
			}},
		{name: "rewritePath without a path match", release: canaryWith(MatchRule{
			Headers: map[string]StringMatch{"x-canary": {Exact: matchStr("true")}}, RewritePath: "/v2"}),
			want: []wantFieldError{{match0 + ".path", field.ErrorTypeRequired, "needs a path match"}}},
		{name: "headers.cookie and cookie together", release: canaryWith(MatchRule{
			Headers: map[string]StringMatch{"cookie": {Exact: matchStr("a=1")}}, Cookie: &CookieMatch{Name: "canary"}}),
			want: []wantFieldError{{match0 + ".headers[cookie]", field.ErrorTypeInvalid, "not both"}}},
		{name: "rule with an empty header map", release: canaryWith(MatchRule{Headers: map[string]StringMatch{}}),
			want: []wantFieldError{{match0, field.ErrorTypeRequired, "needs headers, path or cookie"}}},
		{name: "the failing rule is named by its index", release: canaryWith(
			MatchRule{Cookie: &CookieMatch{Name: "canary"}},
			MatchRule{Cookie: &CookieMatch{Name: "beta"}},
			MatchRule{Path: &StringMatch{Exact: matchStr("v2")}},
		),
			want: []wantFieldError{{"spec.release.canary.match[2].path.exact", field.ErrorTypeInvalid, "must start with /"}}},

		// Several errors are all reported, in field order.
		{name: "several errors in one rule", release: canaryWith(MatchRule{
			Headers: map[string]StringMatch{
				"x-ok":     {Exact: matchStr("1")},
				"X-Canary": {},
				"x-re":     {Regex: matchStr("[")},
			},
			Path:        &StringMatch{Prefix: matchStr("api")},
			Cookie:      &CookieMatch{Name: "a b", Value: "x;y"},
			RewritePath: "v2",
		}),
			want: []wantFieldError{
				{match0 + ".headers[X-Canary]", field.ErrorTypeInvalid, "lower-case HTTP token"},
				{match0 + ".headers[X-Canary]", field.ErrorTypeInvalid, "exactly one of exact, prefix or regex"},
				{match0 + ".headers[x-re].regex", field.ErrorTypeInvalid, "not a valid RE2 regular expression"},
				{match0 + ".path.prefix", field.ErrorTypeInvalid, "must start with /"},
				{match0 + ".cookie.name", field.ErrorTypeInvalid, "HTTP token"},
				{match0 + ".cookie.value", field.ErrorTypeInvalid, "may not hold ;"},
				{match0 + ".rewritePath", field.ErrorTypeInvalid, "must start with /"},
			}},
		{name: "errors across the canary and its rules", release: &Release{
			Stable: "shop-00001",
			Canary: &Canary{Revision: "shop-00001", Percent: 101, Match: []MatchRule{
				{},
				{Cookie: &CookieMatch{Name: "canary"}},
				{Path: &StringMatch{Regex: matchStr("(")}},
			}},
		},
			want: []wantFieldError{
				{"spec.release.canary.percent", field.ErrorTypeInvalid, "between 0 and 100"},
				{"spec.release.canary.revision", field.ErrorTypeInvalid, "must differ from spec.release.stable"},
				{"spec.release.canary.match[0]", field.ErrorTypeRequired, "needs headers, path or cookie"},
				{"spec.release.canary.match[2].path.regex", field.ErrorTypeInvalid, "not a valid RE2 regular expression"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFieldErrors(t, ValidateRelease(tc.release, field.NewPath("spec", "release")), tc.want)
		})
	}
}

// The bad value is reported as given, so the user sees what to change.
func TestValidateReleaseReportsTheBadValue(t *testing.T) {
	tests := []struct {
		name    string
		release *Release
		want    any
	}{
		{name: "header name", release: canaryWith(headerRule("X-Canary", StringMatch{Exact: matchStr("1")})), want: "X-Canary"},
		{name: "regex", release: canaryWith(MatchRule{Path: &StringMatch{Regex: matchStr("a(b")}}), want: "a(b"},
		{name: "cookie value", release: canaryWith(MatchRule{Cookie: &CookieMatch{Name: "canary", Value: "a;b"}}), want: "a;b"},
		{name: "percent", release: &Release{Canary: &Canary{Revision: "shop-00002", Percent: 101}}, want: int32(101)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidateRelease(tc.release, field.NewPath("spec", "release"))
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs.ToAggregate())
			}
			if errs[0].BadValue != tc.want {
				t.Errorf("bad value %#v, want %#v", errs[0].BadValue, tc.want)
			}
		})
	}
}
