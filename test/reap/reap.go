// Package reap ends the programs a test process started (etcd,
// kube-apiserver, Knative's controller, knapp, kwok, ...) when that process
// ends, however it ends: a failed test, go test's -timeout panic, a SIGKILL.
// Without it they outlive the run, holding ports (Knative's controller's
// 8080) that the next run then waits on.
//
// Start it with Children once a process starts programs: it starts a
// watchdog (a shell in its own process group, so Ctrl-C and a killed
// process group leave it running) and from then on tells it, through a
// pipe, about every child of this process, scanned from /proc every second
// and at each call of Children. When this process ends the kernel closes
// the pipe; the watchdog then sends SIGTERM to every child it was told
// about that still runs (and to its process group, where it leads one, as
// envtest's etcd and kube-apiserver do), and SIGKILL to those still there
// after ten seconds. A child is known by its pid and start time, so a pid
// the system has reused is never signalled.
package reap

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// watchdog reads "pid starttime" lines until end of input, then ends
// those processes.
const watchdog = `
trap '' INT TERM HUP PIPE
watched=""
while read -r pid start; do watched="$watched $pid:$start"; done
alive() { [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20)" = "$2" ]; }
signal() {
	for w in $watched; do
		pid=${w%%:*}; start=${w#*:}
		if alive "$pid" "$start"; then kill "-$1" -- "-$pid" 2>/dev/null; kill "-$1" "$pid" 2>/dev/null; fi
	done
}
any_alive() {
	for w in $watched; do alive "${w%%:*}" "${w#*:}" && return 0; done
	return 1
}
signal TERM
i=0
while any_alive && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
signal KILL
`

var (
	mu      sync.Mutex
	pipe    *os.File // the watchdog's input; never closed but by exit
	self    int
	dog     int // the watchdog's pid, not a child to end
	told    = map[int]string{}
	started bool
)

// Children starts the watchdog if it is not running, and tells it about
// every current child of this process.
func Children() error {
	mu.Lock()
	defer mu.Unlock()
	if !started {
		if err := startWatchdog(); err != nil {
			return err
		}
		started = true
		go func() {
			for range time.Tick(time.Second) {
				mu.Lock()
				_ = tell()
				mu.Unlock()
			}
		}()
	}
	return tell()
}

func startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close() // the watchdog holds its own copy
	cmd := exec.Command("/bin/sh", "-c", watchdog)
	cmd.Stdin = r
	// Its own process group: a signal to this process's group (Ctrl-C, a
	// killed go test) must not end the watchdog with the rest.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("starting the watchdog that ends this test's programs with it: %w", err)
	}
	go func() { _ = cmd.Wait() }() // it exits only after this process did, but reap it if not
	pipe, self, dog = w, os.Getpid(), cmd.Process.Pid
	return nil
}

// tell sends the children not yet told about; mu is held.
func tell() error {
	kids, err := children(self)
	if err != nil {
		return err
	}
	for pid, start := range kids {
		if pid == dog || told[pid] == start {
			continue
		}
		if _, err := fmt.Fprintf(pipe, "%d %s\n", pid, start); err != nil {
			return fmt.Errorf("telling the watchdog about pid %d: %w", pid, err)
		}
		told[pid] = start
	}
	return nil
}

// children maps the pid of each child of parent to its start time (field
// 22 of /proc/PID/stat, in clock ticks since boot).
func children(parent int) (map[int]string, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	kids := map[int]string{}
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // ended since the glob
		}
		ppid, start, ok := parseStat(string(data))
		if ok && ppid == parent {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			kids[pid] = start
		}
	}
	return kids, nil
}

// parseStat reads the parent pid and start time from a /proc/PID/stat
// line; the command name before them is in parentheses and may hold
// spaces, so fields count from the last ')'.
func parseStat(stat string) (ppid int, start string, ok bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, "", false
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): ppid is field 4, starttime field 22.
	if len(f) < 20 {
		return 0, "", false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, "", false
	}
	return ppid, f[19], true
}
