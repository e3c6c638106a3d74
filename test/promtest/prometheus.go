package promtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"knapp.dev/knapp/test/reap"
	"knapp.dev/knapp/test/stack"
)

// Config says what Start runs.
type Config struct {
	// Targets are the host:port addresses to scrape, on 127.0.0.1 (such as
	// QueueProxy.Target()). More can be added with AddTargets.
	Targets []string
	// ScrapeInterval is also the evaluation interval. Default 1s.
	ScrapeInterval time.Duration
	// Dir holds prometheus.yml, the targets file, the TSDB (data/) and
	// Prometheus' log. Default: a temporary directory that Close removes.
	Dir string
	// Binary is the prometheus binary. Default: Binary().
	Binary string
}

// Prometheus is a running (or stopped) Prometheus server.
type Prometheus struct {
	bin    string
	dir    string
	ownDir bool
	addr   string
	api    promv1.API

	mu      sync.Mutex
	targets []string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has ended
	log     *os.File
}

// Start runs Prometheus on a free port of 127.0.0.1 and returns once it is
// ready and has scraped every target successfully. ctx bounds that wait,
// not the server: it runs until Stop or Close, and test/reap ends it with
// the test process should the test not get that far.
func Start(ctx context.Context, cfg Config) (*Prometheus, error) {
	for _, t := range cfg.Targets {
		if err := checkTarget(t); err != nil {
			return nil, err
		}
	}
	if cfg.ScrapeInterval == 0 {
		cfg.ScrapeInterval = time.Second
	}
	p := &Prometheus{bin: cfg.Binary, dir: cfg.Dir, targets: slices.Clone(cfg.Targets)}
	if p.bin == "" {
		var err error
		if p.bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	if p.dir == "" {
		dir, err := os.MkdirTemp("", "promtest-")
		if err != nil {
			return nil, err
		}
		p.dir, p.ownDir = dir, true
	}
	if err := writeConfig(p.dir, cfg.ScrapeInterval); err != nil {
		p.Close()
		return nil, err
	}
	if err := writeTargets(p.dir, p.targets); err != nil {
		p.Close()
		return nil, err
	}
	since := time.Now()
	// The free port is free when asked, not necessarily when Prometheus
	// binds it; another test may take it in between, so try a few.
	var err error
	for range 3 {
		var port int
		if port, err = stack.FreePort(); err != nil {
			break
		}
		p.setAddr(fmt.Sprintf("127.0.0.1:%d", port))
		if err = p.run(ctx); !errors.Is(err, errAddrInUse) {
			break
		}
	}
	if err == nil {
		err = p.waitScrape(ctx, since, p.targets)
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// URL is the server's base URL, such as http://127.0.0.1:41234, the value
// of knapp's platform analysis.prometheusURL.
func (p *Prometheus) URL() string { return "http://" + p.addr }

// Dir is the directory of the configuration, data and log
// (prometheus.log, worth reading when a test fails).
func (p *Prometheus) Dir() string { return p.dir }

// Stop ends Prometheus as a rolling restart would: SIGTERM, so it closes
// its TSDB cleanly and writes no staleness markers, then SIGKILL if it has
// not ended within 30s. The data and port stay for StartAgain. Stopping a
// stopped server does nothing.
func (p *Prometheus) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
	return p.log.Close()
}

// StartAgain starts a stopped Prometheus on the same port with the same
// storage and targets, and returns once it is ready and has scraped every
// target again. The port was free while it was down: another process may
// have taken it, which StartAgain reports.
func (p *Prometheus) StartAgain(ctx context.Context) error {
	p.mu.Lock()
	running := p.cmd != nil
	targets := slices.Clone(p.targets)
	p.mu.Unlock()
	if running {
		return errors.New("prometheus is running: Stop it first")
	}
	since := time.Now()
	if err := p.run(ctx); err != nil {
		return err
	}
	return p.waitScrape(ctx, since, targets)
}

// Close stops Prometheus and removes the directory Start made.
func (p *Prometheus) Close() error {
	err := p.Stop()
	if p.ownDir {
		err = errors.Join(err, os.RemoveAll(p.dir))
	}
	return err
}

// AddTargets scrapes more targets (a new revision's queue-proxy) and
// returns once each has been scraped successfully. Prometheus applies
// discovered targets every few seconds (5s in 2.42), not at once.
func (p *Prometheus) AddTargets(ctx context.Context, targets ...string) error {
	for _, t := range targets {
		if err := checkTarget(t); err != nil {
			return err
		}
	}
	since := time.Now()
	p.mu.Lock()
	for _, t := range targets {
		if !slices.Contains(p.targets, t) {
			p.targets = append(p.targets, t)
		}
	}
	err := writeTargets(p.dir, p.targets)
	p.mu.Unlock()
	if err != nil {
		return err
	}
	return p.waitScrape(ctx, since, targets)
}

// RemoveTargets stops scraping targets (a deleted revision); their series
// go stale once Prometheus applies the change. StartAgain no longer waits
// for them.
func (p *Prometheus) RemoveTargets(targets ...string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.targets = slices.DeleteFunc(p.targets, func(t string) bool { return slices.Contains(targets, t) })
	return writeTargets(p.dir, p.targets)
}

func (p *Prometheus) setAddr(addr string) {
	p.addr = addr
	client, err := promapi.NewClient(promapi.Config{Address: p.URL()})
	if err != nil {
		panic(err) // only for a malformed address, which ours is not
	}
	p.api = promv1.NewAPI(client)
}

var errAddrInUse = errors.New("address already in use")

// run starts the process and waits until /-/ready answers 200.
func (p *Prometheus) run(ctx context.Context) error {
	log, err := os.OpenFile(filepath.Join(p.dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin,
		"--config.file="+filepath.Join(p.dir, configFile),
		"--storage.tsdb.path="+filepath.Join(p.dir, dataDir),
		"--web.listen-address="+p.addr,
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting %s: %w", p.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	p.mu.Lock()
	p.cmd, p.exited, p.log = cmd, exited, log
	p.mu.Unlock()
	if err := reap.Children(); err != nil {
		p.Stop()
		return err
	}
	if err := p.waitReady(ctx, exited); err != nil {
		p.Stop()
		return err
	}
	return nil
}

func (p *Prometheus) waitReady(ctx context.Context, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(p.URL() + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			tail := p.logTail()
			if bytes.Contains(tail, []byte("address already in use")) {
				return fmt.Errorf("prometheus on %s: %w", p.addr, errAddrInUse)
			}
			return fmt.Errorf("prometheus on %s ended before it was ready; its log ends:\n%s", p.addr, tail)
		case <-ctx.Done():
			return fmt.Errorf("prometheus on %s not ready: %w; its log ends:\n%s", p.addr, ctx.Err(), p.logTail())
		case <-tick.C:
		}
	}
}

// logTail is the end of prometheus.log, for errors.
func (p *Prometheus) logTail() []byte {
	data, _ := os.ReadFile(filepath.Join(p.dir, logFile))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return data
}

// checkTarget keeps scrapes on the loopback interface.
func checkTarget(target string) error {
	host, _, err := net.SplitHostPort(target)
	if err != nil || host != "127.0.0.1" {
		return fmt.Errorf("target %q: want 127.0.0.1:PORT", target)
	}
	return nil
}
