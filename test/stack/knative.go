package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// KnativeNamespace is Knative Serving's system namespace (SYSTEM_NAMESPACE),
// where its controller reads its config maps; knapp's default
// KnativeServingNamespace.
const KnativeNamespace = "knative-serving"

// knativeHealthPort is where Knative's shared main serves its health probes
// (knative.dev/pkg/injection.HealthCheckDefaultPort, on every interface).
// Serving's controller offers no flag or variable to move or disable it.
const knativeHealthPort = 8080

// StartKnativeController starts Knative Serving's controller (built by
// test/controlplane/knative.sh) against the control plane of kubeconfig, so
// Knative Services get their Configurations, Routes and Revisions. Its JSON
// logs go to logPath: they are many and mostly about the data plane that a
// local control plane does not have. Apply ConfigureKnative first.
//
// Its health port is fixed, so one controller runs at a time: if another
// `make dev` or test runs one, it waits up to wait for that one to stop
// (0: it fails at once, naming the other).
func StartKnativeController(ctx context.Context, bin, kubeconfig, logPath string, wait time.Duration) (*Process, error) {
	lock, err := lockKnativePort(ctx, wait)
	if err != nil {
		return nil, err
	}
	cmd, err := knativeCommand(bin, kubeconfig, "knative-controller-local")
	if err != nil {
		lock.release()
		return nil, err
	}
	Progress("starting %s (logs: %s)", bin, logPath)
	p, err := startLogged("Knative's controller", cmd, logPath, lock.release)
	if err != nil {
		lock.release()
	}
	return p, err
}

// knativeCommand runs one of Knative's binaries (knative.dev/pkg's shared
// main) against kubeconfig, as its pod podName in knative-serving would.
func knativeCommand(bin, kubeconfig, podName string, env ...string) (*exec.Cmd, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w (build it with: bash test/controlplane/knative.sh)", err)
	}
	// Its profiling server always listens (404s while profiling is off), by
	// default on 8008; any free port will do.
	profiling, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--kubeconfig="+kubeconfig)
	cmd.Env = append(append(os.Environ(),
		"SYSTEM_NAMESPACE="+KnativeNamespace,
		// The leader election identity; in a cluster the pod's name.
		"POD_NAME="+podName,
		"PROFILING_PORT="+strconv.Itoa(profiling),
	), env...)
	return cmd, nil
}
