package analysis

import (
	"fmt"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// confine rewrites a team's query so that every series it selects carries
// label="value" (the team's namespace), as prom-label-proxy does: a matcher
// the query had on that label is replaced, so no selector reads another
// namespace's series with knapp's credentials. Prometheus' own parser
// reads the query and writes it back.
func confine(query, label, value string) (string, error) {
	expr, err := parser.ParseExpr(query)
	if err != nil {
		return "", fmt.Errorf("not valid PromQL: %w", err)
	}
	own, err := labels.NewMatcher(labels.MatchEqual, label, value)
	if err != nil {
		return "", err
	}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		kept := make([]*labels.Matcher, 0, len(vs.LabelMatchers)+1)
		for _, m := range vs.LabelMatchers {
			if m.Name != label {
				kept = append(kept, m)
			}
		}
		vs.LabelMatchers = append(kept, own)
		return nil
	})
	return expr.String(), nil
}
