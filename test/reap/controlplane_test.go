package reap_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"knapp.dev/knapp/test/reap"
	"knapp.dev/knapp/test/testenv"
)

// controlPlaneHelper starts testenv's control plane, prints the pids of
// its programs (etcd, kube-apiserver), and waits to be killed.
func controlPlaneHelper() {
	testenv.SetupLogging()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := testenv.Start(ctx); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	kids, err := reap.ChildrenOf(os.Getpid())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for pid := range kids {
		fmt.Println(pid)
	}
	fmt.Println("started")
	select {}
}

// TestControlPlaneEndsWithAKilledTest: a test process killed while its
// control plane runs (go test's -timeout, an OOM kill, CI's limit) leaves
// no etcd or kube-apiserver behind to hold ports and memory.
func TestControlPlaneEndsWithAKilledTest(t *testing.T) {
	if testenv.SkipSuite() {
		t.Skip("KUBEBUILDER_ASSETS is not set (make test sets it)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=controlplane")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	names := map[int]string{}
	for sc.Scan() && sc.Text() != "started" {
		pid, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("helper: %s", sc.Text())
		}
		names[pid] = command(pid)
	}
	var programs []string
	for _, name := range names {
		programs = append(programs, name)
	}
	if !containsAll(programs, "etcd", "kube-apiserver") {
		t.Fatalf("the helper's children are %v, want etcd and kube-apiserver among them", programs)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(time.Minute)
	for pid, name := range names {
		for running(pid) {
			if time.Now().After(deadline) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("%s (pid %d) still runs a minute after the test process that started it was killed", name, pid)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// command is the program name of pid.
func command(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(data))
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}
