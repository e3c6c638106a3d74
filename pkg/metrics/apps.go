package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"knapp.dev/knapp/api/v1alpha1"
)

// listTimeout bounds a scrape's List: the cache answers at once once
// synced, and waits for the sync before.
const listTimeout = 5 * time.Second

var (
	appsDesc = prometheus.NewDesc("knapp_apps",
		"Apps by status condition (Ready and one per part: ServiceReady, DomainReady, RoutesReady, BuildSucceeded, LogsReady, "+
			"SchedulesReady), the condition's status and reason, as knapp's cache holds them at scrape time. "+
			"Apps knapp has not reconciled yet have no conditions and are not counted.",
		[]string{"condition", "status", "reason"}, nil)
	listErrorsDesc = prometheus.NewDesc("knapp_apps_list_errors_total",
		"Scrapes at which the Apps could not be listed from knapp's cache; knapp_apps is missing from those scrapes.",
		nil, nil)
)

// AppsCollector counts Apps by condition at scrape time, as
// kube-state-metrics does: from the informer cache the manager keeps anyway,
// so a scrape costs one in-memory List and no API call.
type AppsCollector struct {
	apps       client.Reader
	log        logr.Logger
	listErrors atomic.Uint64
}

// NewAppsCollector counts the Apps apps lists; apps should be the manager's
// cache (mgr.GetCache()).
func NewAppsCollector(apps client.Reader) *AppsCollector {
	return &AppsCollector{apps: apps, log: logf.Log.WithName("metrics")}
}

// Describe implements prometheus.Collector.
func (c *AppsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- appsDesc
	ch <- listErrorsDesc
}

type conditionKey struct{ condition, status, reason string }

// Collect implements prometheus.Collector. A List that fails is logged and
// counted, not returned: controller-runtime's metrics handler fails the
// whole scrape on any collector's error, which would hide every other metric.
func (c *AppsCollector) Collect(ch chan<- prometheus.Metric) {
	defer func() {
		ch <- prometheus.MustNewConstMetric(listErrorsDesc, prometheus.CounterValue, float64(c.listErrors.Load()))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	apps := &v1alpha1.AppList{}
	// Read-only use: the cache's objects are not copied.
	if err := c.apps.List(ctx, apps, client.UnsafeDisableDeepCopy); err != nil {
		c.listErrors.Add(1)
		c.log.Error(err, "listing Apps for knapp_apps")
		return
	}
	for key, n := range countConditions(apps.Items) {
		ch <- prometheus.MustNewConstMetric(appsDesc, prometheus.GaugeValue, n, key.condition, key.status, key.reason)
	}
}

// countConditions counts the Apps by each of their conditions.
func countConditions(apps []v1alpha1.App) map[conditionKey]float64 {
	counts := map[conditionKey]float64{}
	for i := range apps {
		for _, cond := range apps[i].Status.Conditions {
			counts[conditionKey{cond.Type, string(cond.Status), cond.Reason}]++
		}
	}
	return counts
}
