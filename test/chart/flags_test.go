package chart

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var knappBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "knapp-chart-")
	if err != nil {
		return "", err
	}
	atExit(func() { os.RemoveAll(dir) })
	root, err := repoRootErr()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "knapp")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/knapp")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New("go build ./cmd/knapp: " + err.Error() + ": " + string(out))
	}
	return bin, nil
})

// TestArgsParseWithKnappFlags runs cmd/knapp with every toggle's rendered
// arguments followed by -h: Go's flag package stops at the first unknown
// flag or bad value (exit 2) and exits 0 on -h only if everything before it
// parsed, so this is knapp's real flag set, zap's included, parsing them.
func TestArgsParseWithKnappFlags(t *testing.T) {
	bin, err := knappBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range append(toggles,
		toggle{name: "log options", values: "logLevel: \"3\"\nlogFormat: console\nextraArgs: [--zap-stacktrace-level=panic]"},
	) {
		t.Run(tg.name, func(t *testing.T) {
			args := manager(t, render(t, tg.values)).Args
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(args, "-h")...)
			// Nowhere to connect to, should -h never be reached.
			cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none"), "KUBERNETES_SERVICE_HOST=")
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Usage of") {
				t.Errorf("knapp %s -h: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
	t.Run("a bad flag fails", func(t *testing.T) {
		if out, err := exec.Command(bin, "--no-such-flag", "-h").CombinedOutput(); err == nil {
			t.Errorf("an unknown flag parsed: %s", out)
		}
	})
}
