package analysis

import "testing"

func TestConfine(t *testing.T) {
	tests := []struct{ name, query, want string }{
		{"a plain selector", `sum(rate(errors_total[1m]))`, `sum(rate(errors_total{namespace="team-a"}[1m]))`},
		{"another namespace asked for is replaced", `sum(errors_total{namespace="team-b",job="x"})`, `sum(errors_total{job="x",namespace="team-a"})`},
		{"a regex over namespaces is replaced", `errors_total{namespace=~".+"}`, `errors_total{namespace="team-a"}`},
		{"every selector of a binary expression and a subquery", `sum(rate(a_total[1m])) / sum(max_over_time(b[5m:1m]))`,
			`sum(rate(a_total{namespace="team-a"}[1m])) / sum(max_over_time(b{namespace="team-a"}[5m:1m]))`},
		{"a selector by name only", `{__name__=~"errors_.*"}`, `{__name__=~"errors_.*",namespace="team-a"}`},
		{"numbers alone select nothing", `1 + 2`, `1 + 2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := confine(tc.query, "namespace", "team-a")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("confine(%s) = %s, want %s", tc.query, got, tc.want)
			}
		})
	}
	if _, err := confine(`sum(`, "namespace", "team-a"); err == nil {
		t.Error("a query that does not parse was confined")
	}
}
