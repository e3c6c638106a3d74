package promtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// BinaryEnv names the prometheus binary to run instead of installing one.
const BinaryEnv = "KNAPP_PROMETHEUS"

// SkipEnv, when set to anything, makes the tests that need Prometheus skip.
const SkipEnv = "KNAPP_SKIP_PROMETHEUS"

// SkipIfDisabled skips t when KNAPP_SKIP_PROMETHEUS is set. Nothing else
// skips: a machine without Prometheus gets it from install.sh.
func SkipIfDisabled(t testing.TB) {
	t.Helper()
	if os.Getenv(SkipEnv) != "" {
		t.Skipf("%s is set: not running Prometheus", SkipEnv)
	}
}

var binary struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the prometheus binary: $KNAPP_PROMETHEUS, or else the path
// test/promtest/install.sh prints on its last line (installing Debian's
// package if none is on PATH). The script runs once per process.
func Binary() (string, error) {
	if path := os.Getenv(BinaryEnv); path != "" {
		return path, nil
	}
	binary.once.Do(func() { binary.path, binary.err = install() })
	return binary.path, binary.err
}

func install() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "test", "promtest", "install.sh")
	cmd := exec.Command("bash", script)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr // apt's progress, when it installs
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	path := strings.TrimSpace(lines[len(lines)-1])
	if path == "" {
		return "", fmt.Errorf("%s printed no path", script)
	}
	return path, nil
}

// repoRoot is the nearest directory at or above the working directory whose
// go.mod declares knapp's module. (test/testenv has the same search; this
// package does not import testenv, which would link envtest and Knative's
// webhooks into every test that only wants Prometheus.)
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if ok, err := declaresKnapp(filepath.Join(dir, "go.mod")); err != nil || ok {
			return dir, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod declaring module knapp.dev/knapp at or above the working directory")
		}
		dir = parent
	}
}

func declaresKnapp(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == "knapp.dev/knapp", nil
		}
	}
	return false, sc.Err()
}
