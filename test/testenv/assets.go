package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// AssetsEnv names the directory holding etcd, kube-apiserver and kubectl, as
// envtest and setup-envtest call it.
const AssetsEnv = "KUBEBUILDER_ASSETS"

// BinaryAssetsDir returns the directory holding etcd, kube-apiserver and
// kubectl: $KUBEBUILDER_ASSETS, or else the directory the repository's
// control plane installer prints on its last line. The installer caches its
// build, so after the first run this costs a few version checks.
func BinaryAssetsDir() (string, error) {
	if dir := os.Getenv(AssetsEnv); dir != "" {
		return dir, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "test", "controlplane", "install.sh")
	cmd := exec.Command("bash", script)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr // the installer's progress; a cold build takes minutes
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if dir == "" {
		return "", fmt.Errorf("%s printed no assets directory", script)
	}
	return dir, nil
}
