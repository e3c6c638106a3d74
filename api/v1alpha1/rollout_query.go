package v1alpha1

import (
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
)

// QueryVars are what a query template may name: the revision judged, its
// namespace and App, the interval as a PromQL duration (such as 1m) and,
// for latency, the quantile (0.99 for percentile 99).
type QueryVars struct {
	Revision  string
	Namespace string
	App       string
	Interval  string
	Quantile  string
}

// NewQueryVars fills QueryVars for a revision and an interval.
func NewQueryVars(namespace, app, revision string, interval time.Duration) QueryVars {
	return QueryVars{Revision: revision, Namespace: namespace, App: app, Interval: model.Duration(interval).String()}
}

// RenderQuery fills a query template and checks that the result is PromQL
// that Prometheus' own parser accepts.
func RenderQuery(query string, vars QueryVars) (string, error) {
	tmpl, err := template.New("query").Option("missingkey=error").Parse(query)
	if err != nil {
		return "", fmt.Errorf("not a valid template: %w", err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, vars); err != nil {
		return "", fmt.Errorf("the template names something other than {{.Revision}}, {{.Namespace}}, {{.App}}, {{.Interval}} or {{.Quantile}}: %w", err)
	}
	if _, err := parser.ParseExpr(b.String()); err != nil {
		return "", fmt.Errorf("not valid PromQL: %w", err)
	}
	return b.String(), nil
}

// sampleQueryVars stand in for a real revision when a template is checked
// at admission.
var sampleQueryVars = QueryVars{Revision: "app-00001", Namespace: "team", App: "app", Interval: "1m", Quantile: "0.99"}

// ValidateQueryTemplate checks a query template with sample values; the
// platform's templates are checked with it at startup.
func ValidateQueryTemplate(query string) error {
	_, err := RenderQuery(query, sampleQueryVars)
	return err
}
