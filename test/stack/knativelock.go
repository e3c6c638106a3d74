package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// reapGrace is how long package reap may take to end a dead process's
// programs: SIGTERM, then SIGKILL after ten seconds.
const reapGrace = 15 * time.Second

// knativePortLock is held, by whoever runs a Knative controller on this
// machine, for as long as that controller runs: only one can bind its fixed
// health port (knativeHealthPort), and a `make dev`, the README test and
// the full-chain test each run one. The kernel drops the lock when its
// holder dies; package reap then ends that holder's controller, which frees
// the port a few seconds later.
type knativePortLock struct {
	f    *os.File
	once sync.Once
}

// lockKnativePort takes the lock and waits for the port to be free, for up
// to wait (0: not at all). Another holder is named by its pid and command.
func lockKnativePort(ctx context.Context, wait time.Duration) (*knativePortLock, error) {
	// In the temporary directory, not the cache: the port is the
	// machine's, whichever cache a run uses (make test-cold has its own).
	path := filepath.Join(os.TempDir(), fmt.Sprintf("knapp-knative-controller-%d.lock", knativeHealthPort))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		holder := lockHolder(path)
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("Knative's controller needs port %d, and %s runs one (it holds %s); stop it, or wait for it", knativeHealthPort, holder, path)
		}
		if !said {
			Progress("waiting up to %s for %s to stop its Knative controller (port %d)", wait.Round(time.Second), holder, knativeHealthPort)
			said = true
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			f.Close()
			return nil, err
		}
	}
	l := &knativePortLock{f: f}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("%d %s\n", os.Getpid(), strings.Join(os.Args, " "))), 0)
	// A holder that died has let go of the lock, but its controller may
	// hold the port until reap ends it (within reapGrace), so that much
	// time is given even without wait.
	if least := time.Now().Add(reapGrace); deadline.Before(least) {
		deadline = least
	}
	for {
		err := PortFree(knativeHealthPort)
		if err == nil {
			return l, nil
		}
		if time.Now().After(deadline) {
			l.release()
			return nil, fmt.Errorf("Knative's controller serves its health probes on port %d, which is taken by a program that does not hold %s: %w", knativeHealthPort, path, err)
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			l.release()
			return nil, err
		}
	}
}

func (l *knativePortLock) release() {
	l.once.Do(func() { _ = l.f.Close() }) // closing the descriptor drops the flock
}

// lockHolder names the process that wrote itself into the lock file.
func lockHolder(path string) string {
	data, err := os.ReadFile(path)
	pid, cmd, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	if err != nil || pid == "" {
		return "another make dev or test"
	}
	return fmt.Sprintf("pid %s (%s)", pid, cmd)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
