// Package promtest runs a real Prometheus server against fake Knative
// queue-proxies, so tests of knapp's progressive rollouts read request
// counts, error rates and latencies from the same metric, labels and PromQL
// a cluster would give them, with traffic the test controls.
//
// Prometheus is Debian's prometheus package (install.sh, or the binary
// KNAPP_PROMETHEUS names), started on 127.0.0.1 with a 1s scrape interval
// and its own storage, which survives a Stop and StartAgain on the same
// port, as a restarted Prometheus in a cluster would keep its data.
//
// A QueueProxy publishes a revision's request metrics with Knative's own
// code: queue.NewAppRequestMetricsHandler (knative.dev/serving
// pkg/queue/request_metric.go) behind an OpenTelemetry MeterProvider with
// the queue-proxy's resource and Knative's Prometheus exporter settings.
// The metric text is never written by hand, so a change of names or labels
// in a Knative upgrade shows here first. Serve and Load send real HTTP
// requests through that handler to an app that answers with the status and
// latency the test asks for.
//
// Tests using it skip when KNAPP_SKIP_PROMETHEUS is set (SkipIfDisabled);
// otherwise a missing Prometheus is installed.
package promtest
