package promtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	"knative.dev/pkg/changeset"
	"knative.dev/pkg/observability/semconv"
	servingmetrics "knative.dev/serving/pkg/metrics"
	"knative.dev/serving/pkg/queue"
)

// Revision names the revision a QueueProxy stands in for, as Knative sets
// a queue-proxy's SERVING_* environment.
type Revision struct {
	Namespace     string
	Service       string // kn.service.name; empty for a bare Configuration
	Configuration string // default: Service
	Name          string // the revision, such as app-00002
	Pod           string // default: <Name>-deployment-0
}

// QueueProxy is a fake queue-proxy of one revision: its request traffic
// goes through Knative's request metrics handler, and a second server
// publishes the metrics for Prometheus, as the queue-proxy's user port and
// its metrics port (9091) do.
type QueueProxy struct {
	rev     Revision
	mp      *sdkmetric.MeterProvider
	traffic *http.Server
	metrics *http.Server
	trafLn  net.Listener
	metrLn  net.Listener
	client  *http.Client

	closeOnce sync.Once
	closeErr  error
}

// NewQueueProxy serves a revision's traffic and metrics on two free ports
// of 127.0.0.1. Close ends both.
func NewQueueProxy(rev Revision) (*QueueProxy, error) {
	if rev.Namespace == "" || rev.Name == "" {
		return nil, errors.New("a revision needs a namespace and a name")
	}
	rev.Configuration = cmp.Or(rev.Configuration, rev.Service)
	rev.Pod = cmp.Or(rev.Pod, rev.Name+"-deployment-0")

	// Each QueueProxy has its own registry: the real one has a process of
	// its own, and several here share one.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(
		// As knative.dev/pkg/observability/metrics/prometheus_enabled.go.
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		otelprom.WithRegisterer(reg),
	)
	if err != nil {
		return nil, err
	}
	res, err := queueProxyResource(rev)
	if err != nil {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(exporter))
	// No breaker: it only adds the queue depth gauge, for a revision with
	// a container concurrency limit.
	handler, err := queue.NewAppRequestMetricsHandler(mp, http.HandlerFunc(app), nil)
	if err != nil {
		return nil, err
	}

	q := &QueueProxy{rev: rev, mp: mp}
	if q.trafLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	if q.metrLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		q.trafLn.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	q.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	q.traffic = &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go q.metrics.Serve(q.metrLn)
	go q.traffic.Serve(q.trafLn)
	q.client = &http.Client{Transport: &http.Transport{
		// Keep the connections of a burst for the next: without, each
		// burst leaves maxInFlight sockets in TIME_WAIT.
		MaxIdleConns:        maxInFlight,
		MaxIdleConnsPerHost: maxInFlight,
		IdleConnTimeout:     30 * time.Second,
	}}
	return q, nil
}

// queueProxyResource is the resource of knative.dev/serving v0.50.0
// pkg/queue/sharedmain/otel.go res(), with the revision in place of the
// SERVING_* environment. target_info carries these attributes, and the
// queries join on it for the namespace and revision. Note Knative's
// semconv.K8SContainerName sets container.name, not k8s.container.name.
func queueProxyResource(rev Revision) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{
		semconv.K8SContainerName("queue-proxy"),
		semconv.K8SNamespaceName(rev.Namespace),
		semconv.K8SPodName(rev.Pod),
		semconv.ServiceVersion(changeset.Get()),
		semconv.ServiceName(cmp.Or(rev.Service, rev.Configuration, rev.Name, rev.Pod)),
		semconv.ServiceInstanceID(rev.Pod),
	}
	if rev.Service != "" {
		attrs = append(attrs, servingmetrics.ServiceNameKey.With(rev.Service))
	}
	if rev.Configuration != "" {
		attrs = append(attrs, servingmetrics.ConfigurationNameKey.With(rev.Configuration))
	}
	attrs = append(attrs, servingmetrics.RevisionNameKey.With(rev.Name))
	return resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL, attrs...))
}

// Revision is the revision served.
func (q *QueueProxy) Revision() Revision { return q.rev }

// Target is the metrics address for Prometheus (Config.Targets).
func (q *QueueProxy) Target() string { return q.metrLn.Addr().String() }

// MetricsURL is the metrics page Prometheus scrapes.
func (q *QueueProxy) MetricsURL() string { return "http://" + q.Target() + "/metrics" }

// URL is where requests go, through Knative's metrics handler; see
// RequestURL for the status and latency they get.
func (q *QueueProxy) URL() string { return "http://" + q.trafLn.Addr().String() }

// Close ends both servers and the MeterProvider. Prometheus then sees the
// target down, as when a revision's last pod ends. Closing again does
// nothing, so a test may close a revision early and in its cleanup.
func (q *QueueProxy) Close() error {
	q.closeOnce.Do(func() {
		q.client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.closeErr = errors.Join(
			q.traffic.Shutdown(ctx),
			q.metrics.Shutdown(ctx),
			q.mp.Shutdown(ctx),
		)
	})
	return q.closeErr
}

// String names the revision, for test messages.
func (q *QueueProxy) String() string {
	return fmt.Sprintf("%s/%s (traffic %s, metrics %s)", q.rev.Namespace, q.rev.Name, q.URL(), q.Target())
}
