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
	return RunInstaller(filepath.Join("test", "controlplane", "install.sh"))
}

// RunInstaller runs one of the repository's install scripts (its path
// relative to the root) and returns what it printed on its last line: the
// directory or binary it installed. The script's progress goes to stderr;
// a cold install takes minutes.
func RunInstaller(script string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	script = filepath.Join(root, script)
	cmd := exec.Command("bash", script)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return "", fmt.Errorf("%s printed nothing on its last line", script)
	}
	return last, nil
}
