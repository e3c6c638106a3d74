package platform

import (
	"fmt"
	"net/url"

	"github.com/prometheus/common/model"

	"knapp.dev/knapp/api/v1alpha1"
)

// Analysis is where progressive releases read their metrics: a Prometheus
// and the queries that read a revision's requests, 5xx answers and latency.
type Analysis struct {
	// PrometheusURL is the Prometheus HTTP API's base URL, such as
	// http://prometheus.monitoring.svc:9090. Empty: Apps' analyses hold
	// with MetricsUnavailable.
	PrometheusURL string `json:"prometheusURL,omitempty"`
	// BearerTokenFile, if set, is read for each query and sent as a bearer
	// token (the chart mounts it from a Secret).
	BearerTokenFile string `json:"bearerTokenFile,omitempty"`
	// OnError is what a rollout does when Prometheus cannot answer: hold
	// (the default: the step waits, nothing is promoted) or rollback (the
	// interval counts as failed).
	OnError string `json:"onError,omitempty"`
	// Queries are the templates of knapp's own checks.
	Queries AnalysisQueries `json:"queries,omitempty"`
	// TenantLabel, if set, is the label that names a series' namespace
	// (namespace, as Prometheus' Kubernetes discovery sets it): every
	// series an App's own queries select gets <tenantLabel>="<the App's
	// namespace>" added, so a team reads only its own namespace's series
	// with knapp's credentials. Empty: an App's queries read any series.
	TenantLabel string `json:"tenantLabel"`
}

// DefaultTenantLabel confines Apps' queries to their namespace's series.
const DefaultTenantLabel = "namespace"

// Values of Analysis.OnError.
const (
	OnErrorHold     = "hold"
	OnErrorRollback = "rollback"
)

// AnalysisQueries are PromQL templates with {{.Namespace}}, {{.Revision}},
// {{.App}}, {{.Interval}} and, for latency, {{.Quantile}}.
type AnalysisQueries struct {
	// Requests a revision served in the interval.
	Requests string `json:"requests,omitempty"`
	// Errors: how many of them answered 5xx.
	Errors string `json:"errors,omitempty"`
	// Latency: the response time at the quantile, in seconds.
	Latency string `json:"latency,omitempty"`
}

// The default queries read Knative Serving's own queue-proxy metric
// (knative.dev/serving v0.50.0, pkg/queue/request_metric.go): the
// histogram kn.serving.invocation.duration (unit s), labelled with
// http.response.status_code, which its OpenTelemetry Prometheus exporter
// publishes as kn_serving_invocation_duration_seconds with the label
// http_response_status_code. The revision and namespace are resource
// attributes (kn.revision.name, k8s.namespace.name,
// pkg/queue/sharedmain/otel.go), which that exporter puts on target_info
// alone, so each query joins target_info on the scrape target.
const (
	revisionOfTarget = ` * on (job, instance) group_left () target_info{k8s_namespace_name="{{.Namespace}}", kn_revision_name="{{.Revision}}"}`

	DefaultRequestsQuery = `sum(increase(kn_serving_invocation_duration_seconds_count[{{.Interval}}])` + revisionOfTarget + `)`
	DefaultErrorsQuery   = `sum(increase(kn_serving_invocation_duration_seconds_count{http_response_status_code=~"5.."}[{{.Interval}}])` + revisionOfTarget + `)`
	DefaultLatencyQuery  = `histogram_quantile({{.Quantile}}, sum by (le) (rate(kn_serving_invocation_duration_seconds_bucket[{{.Interval}}])` + revisionOfTarget + `))`
)

// WithDefaults fills the unset queries and onError.
func (a Analysis) WithDefaults() Analysis {
	if a.OnError == "" {
		a.OnError = OnErrorHold
	}
	if a.Queries.Requests == "" {
		a.Queries.Requests = DefaultRequestsQuery
	}
	if a.Queries.Errors == "" {
		a.Queries.Errors = DefaultErrorsQuery
	}
	if a.Queries.Latency == "" {
		a.Queries.Latency = DefaultLatencyQuery
	}
	return a
}

func (a Analysis) validate() []error {
	var errs []error
	if a.PrometheusURL != "" {
		if u, err := url.Parse(a.PrometheusURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("analysis.prometheusURL %q: want http:// or https:// and a host", a.PrometheusURL))
		}
	}
	if a.TenantLabel != "" && !model.LabelName(a.TenantLabel).IsValidLegacy() {
		errs = append(errs, fmt.Errorf("analysis.tenantLabel %q: not a Prometheus label name", a.TenantLabel))
	}
	if a.OnError != "" && a.OnError != OnErrorHold && a.OnError != OnErrorRollback {
		errs = append(errs, fmt.Errorf("analysis.onError %q: use %s or %s", a.OnError, OnErrorHold, OnErrorRollback))
	}
	d := a.WithDefaults()
	for _, q := range []struct{ key, query string }{
		{"requests", d.Queries.Requests}, {"errors", d.Queries.Errors}, {"latency", d.Queries.Latency},
	} {
		if err := v1alpha1.ValidateQueryTemplate(q.query); err != nil {
			errs = append(errs, fmt.Errorf("analysis.queries.%s: %w", q.key, err))
		}
	}
	return errs
}
