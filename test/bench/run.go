package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/stack"
	"knapp.dev/knapp/webhooks/serve"
)

// Run is everything measured at one N.
type Run struct {
	N         int          `json:"n"`
	Mix       string       `json:"mix"`
	LoadStart LoadAvg      `json:"load_start"`
	LoadEnd   LoadAvg      `json:"load_end"`
	Knapp     *KnappRun    `json:"knapp"`
	Baseline  *BaselineRun `json:"baseline,omitempty"`
	// Ratio is knapp's creation over the baseline's.
	Ratio *Ratio `json:"knapp_over_baseline,omitempty"`
	Error string `json:"error,omitempty"`
}

type KnappRun struct {
	Create  *CreateResult  `json:"create"`
	Steady  *SteadyResult  `json:"steady"`
	Canary  *CanaryResult  `json:"canary"`
	Pods    *PodResult     `json:"pods"`
	Restart *RestartResult `json:"restart,omitempty"`
	Process []ProcSample   `json:"process"`
	LogFile string         `json:"log_file"`
}

type BaselineRun struct {
	Create *CreateResult `json:"create"`
}

// SteadyResult is the writes while nothing changes.
type SteadyResult struct {
	Seconds     float64 `json:"seconds"`
	Writes      Writes  `json:"writes"`
	KnappPerApp float64 `json:"knapp_writes_per_app"`
	// EventSeries at the end: each gets one more PATCH when it finishes.
	EventSeries EventSeries `json:"event_series"`
}

type Ratio struct {
	Total float64 `json:"total"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
}

func runN(ctx context.Context, o *options, dir string, n int) *Run {
	r := &Run{N: n, LoadStart: loadAvg(), Mix: mix(o, n)}
	defer func() { r.LoadEnd = loadAvg() }()
	var err error
	r.Knapp, err = runKnapp(ctx, o, dir, n)
	if err == nil && o.Baseline {
		r.Baseline, err = runBaseline(ctx, o, n)
	}
	if err != nil {
		r.Error = err.Error()
	}
	if r.Baseline != nil && r.Baseline.Create != nil && r.Knapp.Create != nil {
		k, b := r.Knapp.Create, r.Baseline.Create
		r.Ratio = &Ratio{
			Total: ratio(k.TotalSeconds, b.TotalSeconds), P50: ratio(k.Converge.P50ms, b.Converge.P50ms),
			P95: ratio(k.Converge.P95ms, b.Converge.P95ms), P99: ratio(k.Converge.P99ms, b.Converge.P99ms),
		}
	}
	return r
}

func mix(o *options, n int) string {
	logs := 0
	if o.LogsEvery > 0 {
		logs = (n + o.LogsEvery - 1) / o.LogsEvery
	}
	return fmt.Sprintf("%d plain image Apps (%d of them with spec.logs), %d per namespace", n, logs, o.PerNamespace)
}

// runKnapp measures knapp: creation, steady state, canary edits and pod
// admission, each phase after the last on the same control plane.
func runKnapp(ctx context.Context, o *options, dir string, n int) (r *KnappRun, err error) {
	r = &KnappRun{}
	step("N=%d: starting a control plane and knapp", n)
	s, err := startSession(ctx, o.root)
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, s.stop()) }()
	knapp, err := startKnapp(ctx, s, o, dir, n, "")
	if err != nil {
		return r, err
	}
	defer knapp.Stop()
	r.LogFile = knapp.LogFile
	sample := func(at string) error {
		p, err := sampleProc(knapp.Cmd.Process.Pid, at)
		r.Process = append(r.Process, p)
		return err
	}
	p := planApps(n, o.PerNamespace, o.LogsEvery)
	if err := s.warmUp(ctx, knapp.Exited()); err != nil {
		return r, withExit(err, knapp)
	}
	if err := s.createNamespaces(ctx, p.namespaces...); err != nil {
		return r, err
	}
	if err := sample("idle"); err != nil {
		return r, err
	}

	step("N=%d: knapp: creating %d Apps", n, n)
	if r.Create, err = s.createPhase(ctx, p, o, knapp.Exited()); err != nil {
		return r, withExit(err, knapp)
	}
	if err := sample("created"); err != nil {
		return r, err
	}

	step("N=%d: knapp: steady state for %s", n, o.Steady)
	if r.Steady, err = s.steadyPhase(ctx, o.Steady, n); err != nil {
		return r, err
	}
	if err := sample("steady"); err != nil {
		return r, err
	}

	step("N=%d: knapp: canary match edits on %d Apps", n, min(n, o.Canary))
	if r.Canary, err = s.canaryPhase(ctx, p, o); err != nil {
		return r, withExit(err, knapp)
	}
	if err := sample("canary"); err != nil {
		return r, err
	}

	step("N=%d: knapp: %d pod creates with the log webhook, %d without", n, o.Pods, o.Pods)
	if r.Pods, err = s.podPhase(ctx, p.withLogs(), o); err != nil {
		return r, withExit(err, knapp)
	}
	if err := sample("pods"); err != nil || !o.Restart {
		return r, err
	}

	step("N=%d: knapp: restart, until every App was reconciled once", n)
	var restarted *stack.Process
	r.Restart, restarted, err = s.restartPhase(ctx, o, dir, n, knapp)
	if restarted != nil {
		defer restarted.Stop()
		p, perr := sampleProc(restarted.Cmd.Process.Pid, "restarted")
		r.Process = append(r.Process, p)
		err = errors.Join(err, perr)
	}
	return r, err
}

// runBaseline measures the plain client's creation on a control plane of
// its own. knapp's webhooks (App validation and defaulting, which every App
// create goes through) are served in-process from the same code, as
// test/webhooks serves them, since no knapp runs.
func runBaseline(ctx context.Context, o *options, n int) (r *BaselineRun, err error) {
	r = &BaselineRun{}
	step("N=%d: baseline: starting a control plane", n)
	s, err := startSession(ctx, o.root)
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, s.stop()) }()
	serve.Register(s.env, s.env.Client, s.env.Scheme, platform.Default())
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := startBaseline(bctx, s, o.Workers, n+16)
	p := planApps(n, o.PerNamespace, o.LogsEvery)
	if err := s.warmUp(ctx, nil); err != nil {
		return r, errors.Join(err, b.err())
	}
	if err := s.createNamespaces(ctx, p.namespaces...); err != nil {
		return r, err
	}
	step("N=%d: baseline: creating %d Apps", n, n)
	r.Create, err = s.createPhase(ctx, p, o, nil)
	return r, errors.Join(err, b.err())
}

// steadyPhase counts the writes while nothing changes for d.
func (s *session) steadyPhase(ctx context.Context, d time.Duration, n int) (*SteadyResult, error) {
	m, err := s.mark(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(d):
	}
	r := &SteadyResult{Seconds: time.Since(start).Seconds()}
	if r.Writes, err = s.writesSince(ctx, m); err != nil {
		return r, err
	}
	r.KnappPerApp = ratio(r.Writes.KnappTotal, float64(n))
	r.EventSeries, err = s.eventSeries(ctx)
	return r, err
}

// withExit adds knapp's exit, and its log's tail, to err if it died.
func withExit(err error, p *stack.Process) error {
	select {
	case <-p.Exited():
		return errors.Join(err, p.ExitError())
	default:
		return err
	}
}
