package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a program the dev environment started (knapp, Knative's
// controller) and stops when it ends.
type process struct {
	name    string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process ended
	logs    sync.WaitGroup
	waitErr error
	logFile string // where its output goes, if not to the terminal
}

// start starts p.cmd; the caller has set up its output (and added to
// p.logs for any goroutine reading it, which Wait must not race).
func (p *process) start() error {
	p.exited = make(chan struct{})
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	go func() {
		p.logs.Wait() // Wait closes the pipes, so read them to the end first
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return nil
}

// err is the process's exit error, once it exited.
func (p *process) err() error {
	<-p.exited
	return p.waitErr
}

// exitError describes how the process ended, pointing at its log.
func (p *process) exitError() error {
	err := fmt.Errorf("%s exited (%v)", p.name, p.err())
	if p.logFile != "" {
		err = fmt.Errorf("%w; its log: %s\n%s", err, p.logFile, tail(p.logFile, 15))
	}
	return err
}

// stop asks the process to shut down and kills it if it has not within 10s.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	step("stopping %s", p.name)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tail is the last n lines of a log file, indented, for an error message.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "    (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}
