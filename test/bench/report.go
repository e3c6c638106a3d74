package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
)

func writeJSON(path string, rep *Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// printReport prints the tables of a JSON report.
func printReport(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	rep := &Report{}
	if err := json.Unmarshal(data, rep); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	m := rep.Machine
	fmt.Printf("%s: %d CPU(s) %s, %.0f MiB, %s; load %s at start, %s at end\n", path, m.NProc, m.CPUModel, m.MemTotalMiB, m.GoVersion, m.LoadStart, m.LoadEnd)
	for _, r := range rep.Runs {
		printRun(os.Stdout, r)
	}
	return nil
}

// printRun prints one N's table.
func printRun(out io.Writer, r *Run) {
	fmt.Fprintf(out, "\nN = %d: %s\nload average %s at start, %s at end\n\n", r.N, r.Mix, r.LoadStart, r.LoadEnd)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	k := r.Knapp
	if k != nil && k.Create != nil {
		printCreate(w, k.Create, r.Baseline)
	}
	if k != nil && k.Steady != nil {
		s := k.Steady
		fmt.Fprintf(w, "steady state, %.0f s: knapp's writes\t%.0f\t%.4f per App\t\n", s.Seconds, s.Writes.KnappTotal, s.KnappPerApp)
		printCounts(w, s.Writes.Knapp, f0)
		fmt.Fprintf(w, "  control plane's own\t%.0f\t\t%s\n", s.Writes.ControlPlaneTotal, joinCounts(s.Writes.ControlPlane, f0))
		printRefused(w, s.Writes.Refused)
		fmt.Fprintf(w, "  knapp's event series at the end\t%d\t\teach gets one PATCH when it ends, 6 min after its last event\n", s.EventSeries.Count)
	}
	if k != nil && k.Canary != nil {
		c := k.Canary
		fmt.Fprintf(w, "canary match edit -> VirtualService\tp50 %.1f ms\tp99 %.1f ms\t%d edits one at a time, %d timed out\n",
			c.Latency.P50ms, c.Latency.P99ms, c.Latency.Count, c.Timeouts)
		fmt.Fprintf(w, "  knapp's writes for the edits\t%.0f\t\t%s\n", c.EditWrites.KnappTotal, joinCounts(c.EditWrites.Knapp, f0))
	}
	if k != nil && k.Pods != nil && k.Pods.Webhook.Count > 0 {
		p := k.Pods
		fmt.Fprintf(w, "pod create through the log webhook\tp50 %.1f ms\tp99 %.1f ms\t%d pods, %d creates at once\n", p.Webhook.P50ms, p.Webhook.P99ms, p.Webhook.Count, p.Concurrency)
		fmt.Fprintf(w, "pod create without it (interleaved)\tp50 %.1f ms\tp99 %.1f ms\t%d pods\n", p.NoWebhook.P50ms, p.NoWebhook.P99ms, p.NoWebhook.Count)
	}
	if k != nil && k.Restart != nil {
		rs := k.Restart
		fmt.Fprintf(w, "restarted knapp: every App reconciled once\t%.1f s\t%.0f reconciles\tknapp's writes meanwhile: %.0f %s\n",
			rs.Seconds, rs.Reconciles, rs.Writes.KnappTotal, joinCounts(rs.Writes.Knapp, f0))
	}
	if k != nil && len(k.Process) > 0 {
		fmt.Fprintf(w, "knapp's process after\tRSS MiB\tpeak RSS MiB\tCPU s in the phase\n")
		prev := 0.0
		for _, p := range k.Process {
			if p.At == "restarted" {
				prev = 0 // a new process: its CPU since it started
			}
			fmt.Fprintf(w, "  %s\t%.0f\t%.0f\t%.1f\n", phaseName[p.At], p.RSSMiB, p.HWMMiB, p.CPUSeconds-prev)
			prev = p.CPUSeconds
		}
	}
	if r.Error != "" {
		fmt.Fprintf(w, "ERROR\t\t\t%s\n", r.Error)
	}
	w.Flush()
}

var phaseName = map[string]string{
	"idle": "start-up and warm-up", "created": "creation", "steady": "steady state",
	"canary": "canary setup and edits", "pods": "pod creates", "restarted": "restart (a new process)",
}

func printCreate(w io.Writer, c *CreateResult, base *BaselineRun) {
	var b *CreateResult
	if base != nil {
		b = base.Create
	}
	fmt.Fprintf(w, "create -> Knative Service and current status\tknapp\tbaseline\tknapp/baseline\n")
	row := func(name string, get func(*CreateResult) float64, unit string) {
		bs, rs := "-", "-"
		if b != nil {
			bs, rs = fmt.Sprintf("%.1f %s", get(b), unit), fmt.Sprintf("%.2fx", ratio(get(c), get(b)))
		}
		fmt.Fprintf(w, "  %s\t%.1f %s\t%s\t%s\n", name, get(c), unit, bs, rs)
	}
	row("per App p50", func(x *CreateResult) float64 { return x.Converge.P50ms }, "ms")
	row("per App p95", func(x *CreateResult) float64 { return x.Converge.P95ms }, "ms")
	row("per App p99", func(x *CreateResult) float64 { return x.Converge.P99ms }, "ms")
	row("total (first create to last converged)", func(x *CreateResult) float64 { return x.TotalSeconds }, "s")
	row("App create call p50", func(x *CreateResult) float64 { return x.CreateCall.P50ms }, "ms")
	row("App create call p99", func(x *CreateResult) float64 { return x.CreateCall.P99ms }, "ms")
	row("API writes per App, its create included", func(x *CreateResult) float64 { return x.AllPerApp }, "")
	fr := "-"
	if b != nil {
		fr = fmt.Sprintf("%d / %d", b.Failed, b.Retries)
	}
	fmt.Fprintf(w, "  failed / retried App creates\t%d / %d\t%s\t\n", c.Failed, c.Retries, fr)
	fmt.Fprintf(w, "knapp's writes per App at creation\t%.2f\t\t\n", c.KnappPerApp)
	printCounts(w, c.KnappPerAppByResource, f2)
	if b != nil {
		fmt.Fprintf(w, "  the baseline's writes per App\t\t%.2f\t%s\n", b.AllPerApp, joinCounts(perApp(b.Writes.Bench, b.Apps), f2))
	}
	fmt.Fprintf(w, "  control plane's own (all Apps)\t%.0f\t\t%s\n", c.Writes.ControlPlaneTotal, joinCounts(c.Writes.ControlPlane, f0))
	printRefused(w, c.Writes.Refused)
	for _, e := range c.Errors {
		fmt.Fprintf(w, "  error\t\t\t%s\n", e)
	}
}

// printCounts prints one line per resource and verb.
func printCounts(w io.Writer, m map[string]float64, format func(float64) string) {
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(w, "    %s\t%s\t\t\n", k, format(m[k]))
	}
}

func printRefused(w io.Writer, m map[string]float64) {
	if len(m) > 0 {
		fmt.Fprintf(w, "  refused writes (anyone's, counted above)\t\t\t%s\n", joinCounts(m, f0))
	}
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f2(v float64) string { return fmt.Sprintf("%.2f", v) }
