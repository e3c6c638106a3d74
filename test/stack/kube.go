package stack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Controllers are the kube-controller-manager controllers that turn a
// Deployment into running pods on a local control plane: Deployments make
// ReplicaSets, ReplicaSets make Pods, pods need their namespace's default
// ServiceAccount (the apiserver's ServiceAccount admission refuses them
// without it), the node lifecycle controller lifts the not-ready taint the
// apiserver puts on every new node once the node reports Ready, the
// garbage collector follows owner references, and the namespace controller
// empties deleted namespaces. Token signing, eviction, node IPAM, cloud and
// volume controllers are left out: nothing here needs them.
var Controllers = []string{
	"deployment-controller",
	"replicaset-controller",
	"serviceaccount-controller",
	"node-lifecycle-controller",
	"garbage-collector-controller",
	"namespace-controller",
}

// StartControllerManager starts kube-controller-manager (built by
// test/controlplane/install.sh into the assets directory) with controllers,
// Controllers if nil. One instance per control plane, so no leader election;
// no HTTPS port (--secure-port=0), so any number run side by side.
func StartControllerManager(assetsDir, kubeconfig string, controllers []string, logPath string) (*Process, error) {
	if controllers == nil {
		controllers = Controllers
	}
	return startKube(assetsDir, "kube-controller-manager", logPath,
		"--kubeconfig="+kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--controllers="+strings.Join(controllers, ","),
		// Its defaults (20/30 a second) throttle a test that polls.
		"--kube-api-qps=100", "--kube-api-burst=200",
	)
}

// StartScheduler starts kube-scheduler against the control plane of
// kubeconfig, without leader election or an HTTPS port.
func StartScheduler(assetsDir, kubeconfig, logPath string) (*Process, error) {
	return startKube(assetsDir, "kube-scheduler", logPath,
		"--kubeconfig="+kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
	)
}

func startKube(assetsDir, name, logPath string, args ...string) (*Process, error) {
	bin := filepath.Join(assetsDir, name)
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w (build it with: bash test/controlplane/install.sh)", err)
	}
	Progress("starting %s (logs: %s)", name, logPath)
	return StartLogged(name, exec.Command(bin, args...), logPath)
}
