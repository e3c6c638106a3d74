// Command bench measures knapp at scale on a local control plane, as make
// bench runs it (test/bench/run.sh): for each N, on a fresh kube-apiserver
// and etcd (test/testenv) with bin/knapp as a child process, the time from
// creating N Apps to their Knative Services and current status, the API
// writes knapp makes at creation and in steady state (from the apiserver's
// own apiserver_request_total, minus the benchmark's writes), the latency
// of a canary match edit to the VirtualService, knapp's memory and CPU from
// /proc, and pod admission through the log webhook; then the same creation
// by a plain client on another fresh control plane, as the baseline. It
// prints a table per N and writes every figure, with the machine's, as
// JSON. It asserts nothing about time.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"knapp.dev/knapp/test/stack"
)

// Report is the JSON file.
type Report struct {
	Machine  Machine   `json:"machine"`
	Options  *options  `json:"options"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Runs     []*Run    `json:"runs"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	o, err := parseOptions()
	if err != nil {
		return err
	}
	if o.Print != "" {
		return printReport(o.Print)
	}
	// envtest and the webhook servers log through controller-runtime; only
	// their errors matter here.
	ctrllog.SetLogger(zap.New(zap.Level(zapcore.ErrorLevel)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := &Report{Machine: machineFacts(), Options: o, Started: time.Now()}
	dir, err := outputDir(o, rep.Started)
	if err != nil {
		return err
	}
	step("machine: %d CPU(s) %s, %.0f MiB, %s; load %s", rep.Machine.NProc, rep.Machine.CPUModel, rep.Machine.MemTotalMiB, rep.Machine.GoVersion, rep.Machine.LoadStart)
	var failed error
	for _, n := range o.Ns {
		r := runN(ctx, o, dir, n)
		rep.Runs = append(rep.Runs, r)
		printRun(os.Stdout, r)
		// Written after each N too, so an interrupted run keeps its figures.
		rep.Machine.LoadEnd, rep.Finished = loadAvg(), time.Now()
		if err := writeJSON(o.Out, rep); err != nil {
			return err
		}
		if r.Error != "" {
			failed = fmt.Errorf("N=%d: %s", n, r.Error)
			break
		}
	}
	rep.Machine.LoadEnd, rep.Finished = loadAvg(), time.Now()
	if err := writeJSON(o.Out, rep); err != nil {
		return err
	}
	step("report: %s (knapp's logs: %s)", o.Out, dir)
	return failed
}

// outputDir is where knapp's logs and kubeconfigs go, beside the report:
// $KNAPP_CACHE/bench/<time>/.
func outputDir(o *options, started time.Time) (string, error) {
	cache, err := stack.CacheDir()
	if err != nil {
		return "", err
	}
	stamp := started.Format("20060102-150405")
	dir := filepath.Join(cache, "bench", stamp)
	if o.Out == "" {
		o.Out = dir + ".json"
	}
	return dir, os.MkdirAll(dir, 0o700)
}

// step prints a progress line.
func step(format string, args ...any) {
	fmt.Printf("==> "+format+"\n", args...)
}
