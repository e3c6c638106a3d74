package platform

import (
	"strings"
	"testing"
)

func TestHostProblem(t *testing.T) {
	cfg := Default()
	cfg.Hosts = HostPolicy{Reserved: []string{"login", "api"}, ByNamespace: map[string][]string{"team-a": {"shop", "shop-eu"}}}
	tests := []struct {
		namespace, label, want string
	}{
		{"team-b", "login", "reserved by the platform (platform config hosts.reserved)"},
		{"team-a", "api", "reserved"},
		{"team-a", "cart", "namespace team-a may take only the host names shop, shop-eu (platform config hosts.byNamespace), not cart"},
		{"team-a", "shop-eu", ""},
		{"team-b", "cart", ""},
	}
	for _, tc := range tests {
		got := cfg.HostProblem(tc.namespace, tc.label)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("HostProblem(%s, %s) = %q, want %q", tc.namespace, tc.label, got, tc.want)
		}
	}
	if got := Default().HostProblem("team-a", "login"); got != "" {
		t.Errorf("the default policy refuses login: %q", got)
	}
}

func TestHostPolicyValidate(t *testing.T) {
	cfg := Default()
	cfg.Hosts = HostPolicy{Reserved: []string{"Login"}, ByNamespace: map[string][]string{"team_a": {"shop"}, "team-b": {"a.b"}}}
	err := cfg.Validate()
	for _, want := range []string{`hosts.reserved: "Login" is not a host name`, `hosts.byNamespace: "team_a" is not a namespace name`, `hosts.byNamespace.team-b: "a.b" is not a host name`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want it to say %q", err, want)
		}
	}
}
