package reap_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"knapp.dev/knapp/test/reap"
)

// helperEnv makes the test binary a helper: "sleeps" starts two long
// sleeps (one leading its own process group, as envtest starts etcd),
// prints their pids, and waits to be killed; "controlplane" does the same
// with testenv's etcd and kube-apiserver.
const helperEnv = "KNAPP_REAP_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "sleeps":
		helper()
		return
	case "controlplane":
		controlPlaneHelper()
		return
	}
	os.Exit(m.Run())
}

func helper() {
	own := exec.Command("sleep", "600")
	own.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	plain := exec.Command("sleep", "600")
	for _, c := range []*exec.Cmd{own, plain} {
		if err := c.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	if err := reap.Children(); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(own.Process.Pid)
	fmt.Println(plain.Process.Pid)
	select {}
}

// TestChildrenEndWithAKilledParent kills the helper with SIGKILL, as an
// OOM kill or a CI timeout would (no deferred cleanup runs), and checks that
// both of its sleeps end.
func TestChildrenEndWithAKilledParent(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=sleeps")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	var pids []int
	for len(pids) < 2 && sc.Scan() {
		pid, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("helper: %s", sc.Text())
		}
		pids = append(pids, pid)
	}
	if len(pids) < 2 {
		t.Fatalf("helper printed %d pids: %v", len(pids), sc.Err())
	}
	for _, pid := range pids {
		if !running(pid) {
			t.Fatalf("sleep %d is not running before the helper is killed", pid)
		}
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// The watchdog sends SIGTERM at once; a minute is for a loaded machine.
	deadline := time.Now().Add(time.Minute)
	for _, pid := range pids {
		for running(pid) {
			if time.Now().After(deadline) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("sleep %d still runs a minute after its parent was killed", pid)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// running: pid exists and is not a zombie (the sleeps, reparented, are
// reaped by init or a subreaper, which may lag).
func running(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, _, ok := reap.ParseStat(string(data))
	if !ok {
		return false
	}
	// The state is the first field after the command name.
	for i := len(data) - 1; i >= 0; i-- {
		if data[i] == ')' {
			return i+2 < len(data) && data[i+2] != 'Z'
		}
	}
	return false
}
