package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"time"
)

// optionalFlags are passed only if the binary lists them in --help: in dev
// the metrics and probe ports would only collide with other processes.
var optionalFlags = []string{"--metrics-bind-address=0", "--health-probe-bind-address=0"}

// startKnapp starts bin/knapp with --kubeconfig and extraArgs, streaming its
// output with a "knapp | " prefix.
func startKnapp(bin, dir, kubeconfig string, extraArgs ...string) (*process, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w (build it with: go build -o bin/knapp ./cmd/knapp, as test/dev/run.sh does)", err)
	}
	help, err := helpText(bin)
	if err != nil {
		return nil, err
	}
	args := append([]string{"--kubeconfig=" + kubeconfig}, extraArgs...)
	for _, f := range optionalFlags {
		if listsFlag(help, f) {
			args = append(args, f)
		}
	}
	step("starting %s %v", bin, args)

	p := &process{name: "knapp", cmd: exec.Command(bin, args...)}
	p.cmd.Dir = dir
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := p.cmd.StderrPipe()
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
				fmt.Printf("knapp | %s\n", sc.Text())
				mu.Unlock()
			}
		}()
	}
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// helpText is the binary's --help output; flag and pflag print usage to
// stderr and may exit non-zero, so any exit is fine as long as it printed.
func helpText(bin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	if len(out) == 0 && err != nil {
		return "", fmt.Errorf("%s --help: %w", bin, err)
	}
	return string(out), nil
}

// listsFlag reports whether usage text lists a flag such as
// "--metrics-bind-address=0", written with one dash (flag) or two (pflag).
func listsFlag(help, flag string) bool {
	name := regexp.MustCompile(`^-+([^=]+)`).FindStringSubmatch(flag)[1]
	return regexp.MustCompile(`(?m)(^|\s)--?` + regexp.QuoteMeta(name) + `(\s|=|$)`).MatchString(help)
}
