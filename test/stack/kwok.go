package stack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/test/testenv"
)

// kwok (sigs.k8s.io/kwok), installed by test/controlplane/install.sh next
// to kube-apiserver, plays the kubelet of fake nodes: it marks them Ready
// and their pods Running, without running a container. Its stage files
// (how nodes and pods move on) ship in the module, not in the binary, so
// they are read from the module cache at the same version; sum is the
// module's go.sum hash. Raise both with KWOK_VERSION in install.sh.
var kwokModule = struct{ module, version, sum string }{
	"sigs.k8s.io/kwok", "v0.8.0", "h1:OTIOTwgROqPMovcTwxICx2eYQ4AwLpSx5EpjbDKF4SQ=",
}

// kwokStages are kwok's own default ("fast"): nodes become Ready and keep
// their Lease renewed (the node lifecycle controller's heartbeat); pods go
// Running and Ready at once, a Job's pods complete, and a deleted pod is
// removed (no kubelet finishes a graceful deletion otherwise).
var kwokStages = []string{
	"kustomize/stage/node/fast/node-initialize.yaml",
	"kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
	"kustomize/stage/pod/fast/pod-ready.yaml",
	"kustomize/stage/pod/fast/pod-complete.yaml",
	"kustomize/stage/pod/fast/pod-delete.yaml",
}

// KwokNodeAnnotation marks the nodes the kwok of StartKwok manages.
const KwokNodeAnnotation = "kwok.x-k8s.io/node"

// StartKwok starts kwok for the nodes annotated KwokNodeAnnotation=fake.
func StartKwok(assetsDir, kubeconfig, logPath string) (*Process, error) {
	bin := filepath.Join(assetsDir, "kwok")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w (install it with: bash test/controlplane/install.sh)", err)
	}
	m := kwokModule
	dir, err := testenv.PinnedModuleDir(m.module, m.version, m.sum)
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + KwokNodeAnnotation + "=fake",
		// A kubelet's Lease, renewed every 10 s: the node lifecycle
		// controller's heartbeat. kwok's own default is none (kwokctl sets
		// 40), and without it the node goes NotReady after 50 s.
		"--node-lease-duration-seconds=40",
	}
	for _, s := range kwokStages {
		p := filepath.Join(dir, filepath.FromSlash(s))
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("kwok's stages: %w", err)
		}
		args = append(args, "--config="+p)
	}
	// Its log repeats "watch ended with error ... RequestWatchProgress is
	// disabled": kwok's client-go (v0.36) asks for watch streams, which the
	// apiserver serves only on etcd 3.4.31+ or 3.5.13+; on Debian's 3.4.23
	// kwok falls back to listing, a little later.
	Progress("starting kwok (logs: %s)", logPath)
	return StartLogged("kwok", exec.Command(bin, args...), logPath)
}

// FakeNode is a node for StartKwok's kwok to manage, with room for plenty
// of pods. It has no taint: the pods scheduled to it are Knative's, which
// carry no toleration for one.
func FakeNode(name string) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{KwokNodeAnnotation: "fake"},
			Labels:      map[string]string{"type": "kwok", corev1.LabelHostname: name},
		},
		// kwok's node-initialize stage keeps capacity and allocatable as
		// created; the apiserver takes a node's status from its create.
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}
