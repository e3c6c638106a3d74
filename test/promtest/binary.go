package promtest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"knapp.dev/knapp/test/testenv"
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
	return testenv.RunInstaller(filepath.Join("test", "promtest", "install.sh"))
}
