package reap_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"knapp.dev/knapp/test/reap"
)

// helperEnv makes the test binary a helper that starts programs, prints
// their pids and then "started", and waits to be killed: "sleeps" starts
// two long sleeps (one leading its own process group, as envtest starts
// etcd), "controlplane" testenv's etcd and kube-apiserver.
const helperEnv = "KNAPP_REAP_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "sleeps":
		sleepsHelper()
	case "controlplane":
		controlPlaneHelper()
	}
	os.Exit(m.Run())
}

func sleepsHelper() {
	own := exec.Command("sleep", "600")
	own.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	plain := exec.Command("sleep", "600")
	for _, c := range []*exec.Cmd{own, plain} {
		if err := c.Start(); err != nil {
			fail(err)
		}
	}
	if err := reap.Children(); err != nil {
		fail(err)
	}
	started(own.Process.Pid, plain.Process.Pid)
}

// started prints pids and "started", and waits to be killed.
func started(pids ...int) {
	for _, pid := range pids {
		fmt.Println(pid)
	}
	fmt.Println("started")
	select {}
}

func fail(err error) {
	fmt.Println("error", err)
	os.Exit(1)
}

// TestChildrenEndWithAKilledParent kills the helper with SIGKILL, as an
// OOM kill or a CI timeout would (no deferred cleanup runs), and checks that
// both of its sleeps end.
func TestChildrenEndWithAKilledParent(t *testing.T) {
	helper, programs := startHelper(t, "sleeps")
	if len(programs) != 2 {
		t.Fatalf("the helper started %v, want two sleeps", programs)
	}
	killAndWaitEnded(t, helper, programs)
}

// startHelper runs the helper mode and returns it with the name of each
// program it started, by pid.
func startHelper(t *testing.T, mode string) (*exec.Cmd, map[int]string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	programs := map[int]string{}
	for sc.Scan() && sc.Text() != "started" {
		pid, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("helper: %s", sc.Text())
		}
		if !running(pid) {
			t.Fatalf("pid %d is not running before the helper is killed", pid)
		}
		programs[pid] = command(pid)
	}
	return cmd, programs
}

// killAndWaitEnded kills the helper with SIGKILL and waits for each of its
// programs to end.
func killAndWaitEnded(t *testing.T, helper *exec.Cmd, programs map[int]string) {
	t.Helper()
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	// The watchdog sends SIGTERM at once; a minute is for a loaded machine.
	deadline := time.Now().Add(time.Minute)
	for pid, name := range programs {
		for running(pid) {
			if time.Now().After(deadline) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("%s (pid %d) still runs a minute after the process that started it was killed", name, pid)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// running: pid exists and is not a zombie (the programs, reparented, are
// reaped by init or a subreaper, which may lag).
func running(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	if _, _, ok := reap.ParseStat(string(data)); !ok {
		return false
	}
	i := strings.LastIndexByte(string(data), ')')
	// The state is the first field after the command name.
	return i+2 < len(data) && data[i+2] != 'Z'
}

// command is the program name of pid.
func command(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(data))
}
