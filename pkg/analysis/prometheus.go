package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// queryTimeout bounds one query, so an unresponsive Prometheus holds a
// rollout instead of a reconcile worker.
const queryTimeout = 10 * time.Second

// ErrNotConfigured: the platform names no Prometheus.
var ErrNotConfigured = errors.New("the platform configures no Prometheus (knapp's platform config analysis.prometheusURL, Helm value platform.analysis.prometheusURL)")

// Prometheus reads metrics from one Prometheus server.
type Prometheus struct {
	api     promv1.API
	queries platform.AnalysisQueries
	url     string
	// tenantLabel confines Apps' own queries to their namespace.
	tenantLabel string
}

// New connects to the Prometheus the platform names; nil without one.
func New(cfg platform.Analysis) (*Prometheus, error) {
	if cfg.PrometheusURL == "" {
		return nil, nil
	}
	cfg = cfg.WithDefaults()
	var rt http.RoundTripper = http.DefaultTransport
	if cfg.BearerTokenFile != "" {
		rt = config.NewAuthorizationCredentialsRoundTripper("Bearer", config.NewFileSecret(cfg.BearerTokenFile), rt)
	}
	client, err := promapi.NewClient(promapi.Config{Address: cfg.PrometheusURL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("analysis.prometheusURL %q: %w", cfg.PrometheusURL, err)
	}
	return &Prometheus{api: promv1.NewAPI(client), queries: cfg.Queries, url: cfg.PrometheusURL, tenantLabel: cfg.TenantLabel}, nil
}

// Measure reads what an analysis needs of one revision over the interval
// that ends at end: requests and 5xx answers, the latency at the check's
// percentile, and each of the App's queries (confined to its namespace's
// series when the platform names a tenant label). A metric that could not
// be read carries its error; a p nil (no Prometheus) fails every metric.
func (p *Prometheus) Measure(ctx context.Context, a *v1alpha1.Analysis, vars v1alpha1.QueryVars, end time.Time) v1alpha1.Readings {
	type query struct {
		name, template string
		own            bool // the App's, not the platform's
	}
	queries := []query{{name: v1alpha1.ReadingRequests}, {name: v1alpha1.ReadingErrors}}
	if p != nil {
		queries[0].template, queries[1].template = p.queries.Requests, p.queries.Errors
	}
	if a.Latency != nil {
		vars.Quantile = strconv.FormatFloat(a.Latency.Percentile/100, 'f', -1, 64)
		q := query{name: v1alpha1.CheckLatency}
		if p != nil {
			q.template = p.queries.Latency
		}
		queries = append(queries, q)
	}
	for _, q := range a.Queries {
		queries = append(queries, query{name: q.Name, template: q.Query, own: true})
	}
	readings := v1alpha1.Readings{}
	for _, q := range queries {
		if p == nil {
			readings[q.name] = v1alpha1.Reading{Err: ErrNotConfigured}
			continue
		}
		v, err := p.value(ctx, q.template, vars, end, q.own)
		if q.name == v1alpha1.CheckLatency && err == nil {
			v *= 1000 // seconds, as Knative measures, to the check's milliseconds
		}
		readings[q.name] = v1alpha1.Reading{Value: v, Err: err}
	}
	return readings
}

// value runs one query template at end: NaN for no data, an error for
// anything but one number.
func (p *Prometheus) value(ctx context.Context, template string, vars v1alpha1.QueryVars, end time.Time, own bool) (float64, error) {
	query, err := v1alpha1.RenderQuery(template, vars)
	if err != nil {
		return 0, err
	}
	if own && p.tenantLabel != "" {
		if query, err = confine(query, p.tenantLabel, vars.Namespace); err != nil {
			return 0, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	result, _, err := p.api.Query(ctx, query, end)
	if err != nil {
		return 0, fmt.Errorf("Prometheus at %s: %w", p.url, err)
	}
	return Number(query, result)
}

// Number is the one number a check reads from a query's result: a scalar,
// or a vector of one sample; NaN for an empty vector (no data); an error
// for more series or another type.
func Number(query string, result model.Value) (float64, error) {
	switch v := result.(type) {
	case *model.Scalar:
		return float64(v.Value), nil
	case model.Vector:
		switch len(v) {
		case 0:
			return math.NaN(), nil
		case 1:
			return float64(v[0].Value), nil
		}
		return 0, fmt.Errorf("the query %s returned %d series; a check needs one number (aggregate it, e.g. with sum)", query, len(v))
	}
	return 0, fmt.Errorf("the query %s returned a %s; a check needs an instant vector or a scalar", query, result.Type())
}
