// Package metrics defines knapp's Prometheus metrics, beyond
// controller-runtime's own: Apps by condition (AppsCollector, read from the
// informer cache at scrape time), reconcile errors by reason, builds by
// phase and duration, the admission webhooks' decisions and the build hook
// API's answers.
//
// The counters are package variables, so code that counts needs no wiring
// and code that runs without registration (unit tests, a Reconciler built
// by hand) counts into collectors nobody scrapes. Register puts them, and
// an AppsCollector, into a registry: controller-runtime's
// (sigs.k8s.io/controller-runtime/pkg/metrics.Registry) in cmd/knapp, so
// they are served on the manager's metrics endpoint; a test's own registry
// in tests.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Label values shared by the counters and their users.
const (
	// Results of the pod log webhook.
	PodLogsInjected  = "injected"
	PodLogsUnchanged = "unchanged"
	PodLogsRefused   = "refused"
	PodLogsErrored   = "errored"

	// Results of the App validation webhook.
	AdmissionAllowed = "allowed"
	AdmissionDenied  = "denied"
	AdmissionErrored = "errored"

	// Results of the App defaulting webhook.
	DefaultingPatched   = "defaulted"
	DefaultingUnchanged = "unchanged"
	DefaultingErrored   = "errored"

	// Results of progressive releases' steps and rollouts.
	RolloutPassed     = "passed"
	RolloutPromoted   = "promoted"
	RolloutRolledBack = "rolled_back"

	// Build hook providers (who called).
	ProviderGitHub  = "github"
	ProviderGitLab  = "gitlab"
	ProviderPlain   = "plain"
	ProviderUnknown = "unknown"
)

// BuildPhases are Argo's terminal Workflow phases, the values of the phase label.
var BuildPhases = []string{"Succeeded", "Failed", "Error"}

var (
	// ReconcileErrors: see its HELP.
	ReconcileErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_reconcile_errors_total",
		Help: "App reconciles that failed, by reason. A reconcile that returns an error (it is retried with backoff) counts once, " +
			"with reason the class of the API error: Conflict, AlreadyExists, NotFound, Forbidden, Unauthorized, Timeout, " +
			"TooManyRequests, Invalid, ServerError, NoKindMatch, or Other for errors that are not API errors. " +
			"A reconcile whose status write turns a part condition False counts once per such condition, with reason the " +
			"condition's reason (InvalidSpec, DomainConflict, BuildFailed, ...): counted on the transition, so an App that " +
			"stays broken is not counted again on resync. False conditions with reason APIError are counted through the error.",
	}, []string{"reason"})

	// BuildsStarted counts build Workflows knapp created.
	BuildsStarted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_builds_started_total",
		Help: "Build Workflows knapp created, by trigger: spec (spec.build's inputs changed) or hook (the build hook API).",
	}, []string{"trigger"})

	// BuildsFinished counts builds once each, when knapp first records them terminal.
	BuildsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_builds_total",
		Help: "Build Workflows that finished, by Argo's terminal phase (Succeeded, Failed, Error), counted once per Workflow " +
			"when knapp first writes it as finished into the App's status.build.builds (restarts and resyncs do not count it again).",
	}, []string{"phase"})

	// BuildDuration observes how long finished builds ran.
	BuildDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "knapp_build_duration_seconds",
		Help: "Run time of finished build Workflows (Argo's finishedAt - startedAt), by terminal phase; observed with knapp_builds_total, for builds Argo reports both times of.",
		// Container builds: from a cached layer rebuild (tens of seconds) to
		// a cold build of a large image (an hour).
		Buckets: []float64{10, 30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600},
	}, []string{"phase"})

	// PodLogsAdmissions counts the pod log webhook's decisions.
	PodLogsAdmissions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_podlogs_admissions_total",
		Help: "Pod admissions by knapp's log webhook, by result: injected (allowed with the log volume patch), unchanged " +
			"(allowed as is: not an App's pod, an App without spec.logs, or already injected), refused (denied: a foreign " +
			"hostPath volume, or logs that cannot be injected) or errored (the App could not be looked up, or the request not decoded).",
	}, []string{"result"})

	// AppAdmissions counts the App validation webhook's decisions.
	AppAdmissions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_app_admissions_total",
		Help: "App admissions by knapp's validating webhook, by operation, result (allowed; denied: the App is invalid; " +
			"errored: the request could not be read) and whether warnings were returned.",
	}, []string{"operation", "result", "warnings"})

	// AppDefaulting counts the App defaulting webhook's answers.
	AppDefaulting = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_app_defaulting_total",
		Help: "App admissions by knapp's defaulting webhook, by operation and result: defaulted (a patch with defaults), unchanged (nothing to default) or errored.",
	}, []string{"operation", "result"})

	// RolloutAnalyses counts analysed intervals of progressive releases.
	RolloutAnalyses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_rollout_analyses_total",
		Help: "Intervals of progressive releases that knapp analysed, by verdict: Pass, Fail, Inconclusive (too few requests or no data; " +
			"the step waits) or Unknown (Prometheus could not answer; the step holds). Counted once per interval, when its status is written.",
	}, []string{"result"})

	// RolloutSteps counts steps of progressive releases that passed.
	RolloutSteps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_rollout_steps_total",
		Help: "Steps of progressive releases that ended, by result: passed (the canary went on to the next step or was promoted) " +
			"or rolled_back (the analysis failed during the step).",
	}, []string{"result"})

	// Rollouts counts progressive releases that ended.
	Rollouts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_rollouts_total",
		Help: "Progressive releases that ended, by result: promoted (every step passed) or rolled_back (more failed intervals than failureLimit, " +
			"or Prometheus could not answer under the platform's onError: rollback).",
	}, []string{"result"})

	// RolloutDecisionDelay observes how late knapp judges an interval.
	RolloutDecisionDelay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "knapp_rollout_decision_delay_seconds",
		Help:    "Time from the end of a progressive release's interval to the status write that records its verdict (query, judgement and write).",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	})

	// HookRequests counts the build hook API's answers.
	HookRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "knapp_hook_requests_total",
		Help: "Requests to the build hook API, by provider (github: X-GitHub-Event; gitlab: X-Gitlab-Event; plain: an " +
			"Authorization header; unknown: none of these) and HTTP status code answered.",
	}, []string{"provider", "code"})
)

// counters are every collector Register adds besides the AppsCollector.
var counters = []prometheus.Collector{
	ReconcileErrors, BuildsStarted, BuildsFinished, BuildDuration,
	PodLogsAdmissions, AppAdmissions, AppDefaulting, HookRequests,
	RolloutAnalyses, RolloutSteps, Rollouts, RolloutDecisionDelay,
}

func init() {
	// Series of the known label values exist from the start at 0, so that
	// rate() and absence alerts see the first increment.
	for _, p := range BuildPhases {
		BuildsFinished.WithLabelValues(p)
	}
	for _, t := range []string{"spec", "hook"} {
		BuildsStarted.WithLabelValues(t)
	}
	for _, v := range []string{"Pass", "Fail", "Inconclusive", "Unknown"} {
		RolloutAnalyses.WithLabelValues(v)
	}
	for _, r := range []string{RolloutPassed, RolloutRolledBack} {
		RolloutSteps.WithLabelValues(r)
	}
	for _, r := range []string{RolloutPromoted, RolloutRolledBack} {
		Rollouts.WithLabelValues(r)
	}
	for _, r := range []string{PodLogsInjected, PodLogsUnchanged, PodLogsRefused, PodLogsErrored} {
		PodLogsAdmissions.WithLabelValues(r)
	}
}

// Register adds knapp's metrics to reg, and an AppsCollector over apps
// (the manager's cache) when apps is not nil.
func Register(reg prometheus.Registerer, apps client.Reader) error {
	for _, c := range counters {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	if apps == nil {
		return nil
	}
	return reg.Register(NewAppsCollector(apps))
}
