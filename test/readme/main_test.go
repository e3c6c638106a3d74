package readme

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"knapp.dev/knapp/test/reap"
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
// to, and waits until it says it is running. stop ends it as Ctrl-C does.
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

	cmd := exec.Command("bash", "test/dev/run.sh",
		"--knative-wait="+devKnativeWait.String())
	cmd.Dir = root
	out, err := cmd.StdoutPipe()
	if err != nil {
		f.Close()
		return stop, err
	}
	cmd.Stderr = cmd.Stdout
	fmt.Printf("starting make dev (bash test/dev/run.sh; output in %s)\n", devLog)
	if err := cmd.Start(); err != nil {
		f.Close()
		return stop, err
	}
	if err := reap.Children(); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
		return stop, err
	}

	ready := make(chan struct{})
	exited := make(chan error, 1)
	go func() {
		copyUntil(out, f, devReady, ready)
		exited <- cmd.Wait()
		f.Close()
	}()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // make dev's Ctrl-C
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	select {
	case <-ready:
		devUp = true
		return stop, nil
	case err := <-exited:
		exited <- err // for stop
		return stop, fmt.Errorf("make dev exited before it was running (%v)", err)
	case <-time.After(devStart):
		return stop, fmt.Errorf("make dev did not say %q within %s", devReady, devStart)
	}
}

// copyUntil copies r to w line by line, closing ready at the first line
// that starts with marker.
func copyUntil(r io.Reader, w io.Writer, marker string, ready chan<- struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	said := false
	for sc.Scan() {
		fmt.Fprintln(w, sc.Text())
		if !said && strings.HasPrefix(sc.Text(), marker) {
			close(ready)
			said = true
		}
	}
	_, _ = io.Copy(w, r)
}
