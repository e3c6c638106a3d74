package chart

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestNoWildcardRules: no Role or ClusterRole of any rendering grants "*"
// verbs, resources or API groups, or escalating verbs.
func TestNoWildcardRules(t *testing.T) {
	for _, tg := range toggles {
		r := render(t, tg.values, "builds: {namespaces: [team-a]}")
		for _, kind := range []string{"Role", "ClusterRole"} {
			for _, o := range r.Kind(kind) {
				var role rbacv1.ClusterRole // a Role's fields are a subset
				decodeStrict(t, o, &role)
				for _, rule := range role.Rules {
					for _, list := range [][]string{rule.Verbs, rule.Resources, rule.APIGroups, rule.NonResourceURLs} {
						if slices.Contains(list, "*") {
							t.Errorf("%s: %s grants a wildcard: %+v", tg.name, o, rule)
						}
					}
					for _, v := range []string{"escalate", "bind", "impersonate", "deletecollection"} {
						if slices.Contains(rule.Verbs, v) {
							t.Errorf("%s: %s grants %s: %+v", tg.name, o, v, rule)
						}
					}
				}
			}
		}
	}
}

// TestSecretsOnlyWhereNeeded: the chart renders a Secret only for knapp's
// self-signed certificates and for each build namespace's executor token,
// never with data.
func TestSecretsOnlyWhereNeeded(t *testing.T) {
	for _, tg := range toggles {
		r := render(t, tg.values, "builds: {namespaces: [team-a]}")
		want := []string{"Secret/team-a/knapp-build-executor.service-account-token"}
		if _, selfSigned := r.Find("Role", "knapp-webhook-cert"); selfSigned {
			want = append(want, "Secret/"+namespace+"/knapp-webhook-cert")
		}
		var got []string
		for _, o := range r.Kind("Secret") {
			got = append(got, key(o.Unstructured))
			for _, field := range []string{"data", "stringData"} {
				if _, ok := o.Object[field]; ok {
					t.Errorf("%s: %s renders %s", tg.name, o, field)
				}
			}
		}
		if !sameSet(got, want) {
			t.Errorf("%s: Secrets %v, want %v", tg.name, got, want)
		}
	}
}
