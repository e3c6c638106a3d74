package readme

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"knapp.dev/knapp/test/stack"
	"knapp.dev/knapp/test/testenv"
)

// devReady is the line make dev prints once the samples converged and it
// keeps running: the README's first hour starts there.
const devReady = "==> dev environment running"

// devStart bounds make dev's start: building knapp and the dev program,
// the control plane, the samples converging, and waiting for the full-chain
// test to give up Knative's controller port (devKnativeWait).
const (
	devKnativeWait = 12 * time.Minute
	devStart       = devKnativeWait + 8*time.Minute
)

var (
	// devUp: make dev is running (TestMain started it).
	devUp bool
	root  string // the repository
	// devLog is make dev's output; kept when the package fails.
	devLog string
)

func TestMain(m *testing.M) {
	if testenv.SkipSuite() {
		// The parsing and matching tests need no stack.
		os.Exit(m.Run())
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if root, err = testenv.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop, err := startDev()
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting make dev:", err)
	} else {
		code = m.Run()
	}
	stop()
	if code != 0 && devLog != "" {
		fmt.Fprintf(os.Stderr, "make dev's output is kept in %s; its last lines:\n%s\n", devLog, stack.Tail(devLog, 30))
	} else if devLog != "" {
		_ = os.Remove(devLog)
	}
	return code
}

// startDev runs `make dev`'s script (test/dev/run.sh), as the README says
// to, as a process of the stack (its output in devLog), and waits until it
// says it is running. stop ends it as Ctrl-C does.
func startDev() (stop func(), err error) {
	stop = func() {}
	cache, err := stack.CacheDir()
	if err != nil {
		return stop, err
	}
	if err := os.MkdirAll(filepath.Join(cache, "readme"), 0o755); err != nil {
		return stop, err
	}
	f, err := os.CreateTemp(filepath.Join(cache, "readme"), "dev-*.log")
	if err != nil {
		return stop, err
	}
	devLog = f.Name()

	cmd := exec.Command("bash", "test/dev/run.sh", "--knative-wait="+devKnativeWait.String())
	cmd.Dir = root
	out := &markerWriter{w: f, marker: devReady, seen: make(chan struct{})}
	fmt.Printf("starting make dev (bash test/dev/run.sh; output in %s)\n", devLog)
	dev, err := stack.StartPrefixed("make dev", cmd, out, "")
	if err != nil {
		f.Close()
		return stop, err
	}
	stop = func() {
		dev.Stop() // SIGTERM: make dev's Ctrl-C
		f.Close()  // written to until the process ended
	}
	select {
	case <-out.seen:
		devUp = true
		return stop, nil
	case <-dev.Exited():
		return stop, dev.ExitError()
	case <-time.After(devStart):
		return stop, fmt.Errorf("make dev did not say %q within %s", devReady, devStart)
	}
}

// markerWriter writes each line to w and closes seen at the first line that
// starts with marker. StartPrefixed writes one whole line at a time.
type markerWriter struct {
	w      io.Writer
	marker string
	seen   chan struct{}
	once   sync.Once
}

func (m *markerWriter) Write(p []byte) (int, error) {
	if strings.HasPrefix(string(p), m.marker) {
		m.once.Do(func() { close(m.seen) })
	}
	return m.w.Write(p)
}
