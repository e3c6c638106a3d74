package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/test/testenv"
)

// options are the benchmark's flags.
type options struct {
	Ns             []int         `json:"n"`
	Steady         time.Duration `json:"steady"`
	Concurrency    int           `json:"concurrency"`
	Workers        int           `json:"workers"`
	PerNamespace   int           `json:"apps_per_namespace"`
	LogsEvery      int           `json:"logs_every"`
	Canary         int           `json:"canary_sample"`
	Pods           int           `json:"pods"`
	PodConcurrency int           `json:"pod_concurrency"`
	Timeout        time.Duration `json:"timeout"`
	Baseline       bool          `json:"baseline"`
	Restart        bool          `json:"restart"`
	KnappBin       string        `json:"knapp_bin"`
	Out            string        `json:"-"`
	Print          string        `json:"-"`
	root, nFlag    string
}

func parseOptions() (*options, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	o := &options{root: root}
	flag.StringVar(&o.nFlag, "n", "100", "Numbers of Apps, comma-separated (100,1000,5000): one fresh control plane for knapp and one for the baseline at each.")
	flag.DurationVar(&o.Steady, "steady", 5*time.Minute, "How long to count writes in steady state after the Apps converged.")
	flag.IntVar(&o.Concurrency, "concurrency", 8, "Clients creating Apps at once (both runs), and setting up canaries.")
	flag.IntVar(&o.Workers, "workers", app.DefaultConcurrentReconciles, "knapp's --concurrent-reconciles, and the baseline's writers at once.")
	flag.BoolVar(&o.Restart, "restart", false, "After the pod phase, restart knapp and time how long it takes to reconcile every App once, counting its writes meanwhile.")
	flag.IntVar(&o.PerNamespace, "apps-per-namespace", 100, "Apps per namespace.")
	flag.IntVar(&o.LogsEvery, "logs-every", 10, "Every n-th App has spec.logs (their pods go through the pod webhook); 0 for none.")
	flag.IntVar(&o.Canary, "canary", 100, "Apps (at most) whose canary match is edited, one at a time.")
	flag.IntVar(&o.Pods, "pods", 500, "Pods created through the log webhook, and as many without it.")
	flag.IntVar(&o.PodConcurrency, "pod-concurrency", 8, "Pod creates at once.")
	flag.DurationVar(&o.Timeout, "timeout", 20*time.Minute, "How long the Apps of a run may take to converge.")
	flag.BoolVar(&o.Baseline, "baseline", true, "Also run the plain-client baseline at each N.")
	flag.StringVar(&o.KnappBin, "knapp", filepath.Join(root, "bin", "knapp"), "The knapp binary (go build -o bin/knapp ./cmd/knapp).")
	flag.StringVar(&o.Out, "out", "", "JSON report file; default $KNAPP_CACHE/bench/<time>.json.")
	flag.StringVar(&o.Print, "print", "", "Print the tables of an earlier JSON report and exit.")
	flag.Parse()
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	for _, f := range strings.Split(o.nFlag, ",") {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f), "_", ""))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-n %q: want positive numbers separated by commas", o.nFlag)
		}
		o.Ns = append(o.Ns, n)
	}
	if o.Concurrency < 1 || o.PerNamespace < 1 || o.PodConcurrency < 1 || o.Workers < 1 {
		return nil, errors.New("-concurrency, -apps-per-namespace, -pod-concurrency and -workers must be at least 1")
	}
	return o, nil
}
