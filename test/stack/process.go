package stack

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"knapp.dev/knapp/test/reap"
)

// Process is a program the stack started and stops when it ends.
type Process struct {
	// Name says what it is in messages ("knapp", "Knative's controller").
	Name string
	// Cmd is the running command; Cmd.Process.Pid is its pid.
	Cmd *exec.Cmd
	// LogFile is where its output goes, if not to the terminal.
	LogFile string

	exited  chan struct{}
	logs    sync.WaitGroup
	waitErr error
	// onExit runs once the process has ended, before Exited closes.
	onExit func()
}

// StartLogged starts cmd with its output into the file logPath.
func StartLogged(name string, cmd *exec.Cmd, logPath string) (*Process, error) {
	return startLogged(name, cmd, logPath, nil)
}

// startLogged is StartLogged with onExit run when the process has ended.
func startLogged(name string, cmd *exec.Cmd, logPath string, onExit func()) (*Process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = f, f
	p := &Process{Name: name, Cmd: cmd, LogFile: logPath, onExit: onExit}
	return p, p.start()
}

// StartPrefixed starts cmd with each line of its output written to out
// behind prefix (such as "knapp | ").
func StartPrefixed(name string, cmd *exec.Cmd, out io.Writer, prefix string) (*Process, error) {
	p := &Process{Name: name, Cmd: cmd}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex // one line at a time from either stream
	for _, r := range []io.Reader{stdout, stderr} {
		p.logs.Add(1)
		go func() {
			defer p.logs.Done()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64*1024), 1024*1024)
			for sc.Scan() {
				mu.Lock()
				fmt.Fprintf(out, "%s%s\n", prefix, sc.Text())
				mu.Unlock()
			}
		}()
	}
	return p, p.start()
}

func (p *Process) start() error {
	p.exited = make(chan struct{})
	if err := p.Cmd.Start(); err != nil {
		close(p.exited)
		p.waitErr = err
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	// Ended with this process, even if it is killed or a test times out.
	reapErr := reap.Children()
	if reapErr != nil {
		_ = p.Cmd.Process.Kill()
	}
	go func() {
		p.logs.Wait() // Wait closes the pipes, so read them to the end first
		p.waitErr = p.Cmd.Wait()
		if p.onExit != nil {
			p.onExit()
		}
		close(p.exited)
	}()
	return reapErr
}

// Exited is closed when the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is the process's exit error, once it exited.
func (p *Process) Err() error {
	<-p.exited
	return p.waitErr
}

// ExitError describes how the process ended, pointing at its log.
func (p *Process) ExitError() error {
	err := fmt.Errorf("%s exited (%v)", p.Name, p.Err())
	if p.LogFile != "" {
		err = fmt.Errorf("%w; its log: %s\n%s", err, p.LogFile, Tail(p.LogFile, 15))
	}
	return err
}

// Stop asks the process to shut down (SIGTERM) and kills it if it has not
// within 10 s.
func (p *Process) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	Progress("stopping %s", p.Name)
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.Cmd.Process.Kill()
		<-p.exited
	}
}

// Kill ends the process at once (SIGKILL), as a crash or an OOM kill would,
// and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.Cmd.Process.Kill()
	<-p.exited
}

// Tail is the last n lines of a log file, indented, for an error message.
func Tail(path string, n int) string {
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
