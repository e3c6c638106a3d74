package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"knapp.dev/knapp/test/stack"
)

// startKnapp starts bin/knapp with --kubeconfig and extraArgs, streaming its
// output with a "knapp | " prefix. In dev its metrics and probe ports would
// only collide with other processes.
func startKnapp(bin, dir, kubeconfig string, extraArgs ...string) (*stack.Process, error) {
	return stack.Knapp{
		Bin: bin, Dir: dir, Kubeconfig: kubeconfig,
		Args: append([]string{"--metrics-bind-address=0", "--health-probe-bind-address=0"}, extraArgs...),
		Out:  os.Stdout, Prefix: "knapp | ",
	}.Start()
}

// startKnative starts Knative Serving's controller, its log in the dev
// cache directory.
func startKnative(ctx context.Context, bin, kubeconfig string, wait time.Duration) (*stack.Process, error) {
	cache, err := stack.CacheDir()
	if err != nil {
		return nil, err
	}
	return stack.StartKnativeController(ctx, bin, kubeconfig, filepath.Join(cache, "dev", "knative-controller.log"), wait)
}
