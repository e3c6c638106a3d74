package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"knapp.dev/knapp/test/stack"
)

// RestartResult is a new knapp process catching up with the N Apps the
// last one reconciled: nothing changed meanwhile, so it should write
// nothing.
type RestartResult struct {
	// Seconds from the start of the process until every App was reconciled
	// once and its queue is empty.
	Seconds float64 `json:"seconds_to_observe_all"`
	// Reconciles is controller-runtime's count for the App controller then.
	Reconciles float64 `json:"reconciles"`
	// Writes are knapp's API writes from the stop of the old process until
	// then.
	Writes Writes `json:"writes"`
}

// restartPhase stops knapp, starts a new process with its metrics served,
// and waits until controller_runtime_reconcile_total of the App controller
// reaches n with an empty work queue. It returns the new process, which the
// caller stops.
func (s *session) restartPhase(ctx context.Context, o *options, dir string, n int, old *stack.Process) (*RestartResult, *stack.Process, error) {
	old.Stop()
	m, err := s.mark(ctx)
	if err != nil {
		return nil, nil, err
	}
	port, err := stack.FreePort()
	if err != nil {
		return nil, nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	start := time.Now()
	knapp, err := startKnapp(ctx, s, o, dir, n, "-restarted", "--metrics-bind-address="+addr)
	if err != nil {
		return nil, nil, err
	}
	r := &RestartResult{}
	deadline := start.Add(o.Timeout)
	for {
		reconciles, depth, err := appControllerProgress(ctx, "http://"+addr+"/metrics")
		if err == nil && reconciles >= float64(n) && depth == 0 {
			r.Seconds, r.Reconciles = time.Since(start).Seconds(), reconciles
			break
		}
		if time.Now().After(deadline) {
			return r, knapp, fmt.Errorf("the restarted knapp reconciled %.0f of %d Apps in %s (last error: %v)", reconciles, n, o.Timeout, err)
		}
		select {
		case <-ctx.Done():
			return r, knapp, ctx.Err()
		case <-knapp.Exited():
			return r, knapp, withExit(fmt.Errorf("the restarted knapp exited"), knapp)
		case <-time.After(100 * time.Millisecond):
		}
	}
	r.Writes, err = s.writesSince(ctx, m)
	return r, knapp, err
}

// appControllerProgress reads the App controller's reconcile count and
// work queue depth from knapp's metrics endpoint.
func appControllerProgress(ctx context.Context, url string) (reconciles, depth float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range families["controller_runtime_reconcile_total"].GetMetric() {
		if labelValue(m.GetLabel(), "controller") == "app" {
			reconciles += m.GetCounter().GetValue()
		}
	}
	for _, m := range families["workqueue_depth"].GetMetric() {
		if labelValue(m.GetLabel(), "name") == "app" {
			depth += m.GetGauge().GetValue()
		}
	}
	return reconciles, depth, nil
}

func labelValue(labels []*dto.LabelPair, name string) string {
	for _, l := range labels {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
