package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// knativeHealthPort is where Knative's shared main serves its health probes
// (knative.dev/pkg/injection.HealthCheckDefaultPort, on every interface).
// Serving's controller offers no flag or variable to move or disable it.
const knativeHealthPort = 8080

// startKnative starts Knative Serving's controller (built by
// test/controlplane/knative.sh) against the dev apiserver, so Knative
// Services get their Configurations, Routes and Revisions. Its JSON logs go
// to a file in the dev cache dir, not the terminal: they are many and
// mostly about the data plane that dev does not have.
func startKnative(bin, kubeconfig string) (*process, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w (build it with: bash test/controlplane/knative.sh, as test/dev/run.sh does)", err)
	}
	// Checked first because the controller would exit with a bind error
	// buried in its log.
	if err := portFree(knativeHealthPort); err != nil {
		return nil, fmt.Errorf("Knative's controller serves its health probes on port %d, which is taken (another `make dev`?): %w", knativeHealthPort, err)
	}
	// Its profiling server always listens (404s while profiling is off), by
	// default on 8008; any free port will do.
	profiling, err := freePort()
	if err != nil {
		return nil, err
	}
	cache, err := cacheDir()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(cache, "dev", "knative-controller.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor

	p := &process{name: "Knative's controller", cmd: exec.Command(bin, "--kubeconfig="+kubeconfig), logFile: logPath}
	p.cmd.Env = append(os.Environ(),
		"SYSTEM_NAMESPACE="+knativeNamespace,
		// The leader election identity; in a cluster the pod's name.
		"POD_NAME=knative-controller-dev",
		"PROFILING_PORT="+strconv.Itoa(profiling),
	)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	step("starting %s (logs: %s)", bin, logPath)
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

func portFree(port int) error {
	l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	return l.Close()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
