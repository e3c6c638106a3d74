package stack

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"knapp.dev/knapp/test/testenv"
)

// KnativeControllerEnv names Knative Serving's controller binary; its
// webhook is the file webhook next to it, as test/controlplane/knative.sh
// builds them.
const KnativeControllerEnv = "KNAPP_KNATIVE_CONTROLLER"

// KnativeBinaries returns the paths of Knative Serving's controller and
// webhook: next to $KNAPP_KNATIVE_CONTROLLER, or else where knative.sh
// (run now; it only checks versions once both are cached) prints.
func KnativeBinaries() (controller, webhook string, err error) {
	controller = os.Getenv(KnativeControllerEnv)
	if controller == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			return "", "", err
		}
		script := filepath.Join(root, "test", "controlplane", "knative.sh")
		cmd := exec.Command("bash", script)
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr // a cold build takes minutes
		if err := cmd.Run(); err != nil {
			return "", "", fmt.Errorf("%s: %w", script, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		controller = strings.TrimSpace(lines[len(lines)-1])
	}
	return controller, filepath.Join(filepath.Dir(controller), "webhook"), nil
}
