package progressive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/promtest"
	"knapp.dev/knapp/test/stack"
	"knapp.dev/knapp/test/testenv"
)

var (
	env *testenv.Env
	k8s client.Client
	// prom is the Prometheus knapp reads; knappBin, kubeconfig and
	// platformFile what each knapp process runs with.
	prom                               *promtest.Prometheus
	root, knappBin, kubeconfig, tmpDir string
	platformFile                       string
	// knapp is the running knapp process; metricsAddr its metrics endpoint.
	knapp       *stack.Process
	metricsAddr string
)

func TestMain(m *testing.M) {
	switch {
	case testenv.SkipSuite():
		fmt.Println("skipping progressive release tests: KUBEBUILDER_ASSETS is not set (make test sets it)")
		os.Exit(0)
	case os.Getenv(promtest.SkipEnv) != "":
		fmt.Printf("skipping progressive release tests: %s is set\n", promtest.SkipEnv)
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) (code int) {
	testenv.SetupLogging()
	var err error
	if tmpDir, err = os.MkdirTemp("", "knapp-progressive-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if code != 0 {
			fmt.Fprintln(os.Stderr, "knapp's and Prometheus' logs are kept in", tmpDir)
			return
		}
		_ = os.RemoveAll(tmpDir)
	}()
	stop, err := setup()
	defer stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "setting up:", err)
		return 1
	}
	return m.Run()
}

// setup starts the control plane, Prometheus and knapp, with knapp's
// binary built meanwhile.
func setup() (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if root, err = testenv.RepoRoot(); err != nil {
		return stop, err
	}
	knappBin = filepath.Join(tmpDir, "knapp")
	built := make(chan error, 1)
	go func() {
		cmd := exec.Command("go", "build", "-o", knappBin, "./cmd/knapp")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			built <- fmt.Errorf("go build ./cmd/knapp: %w\n%s", err, out)
			return
		}
		built <- nil
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if env, err = testenv.Start(ctx); err != nil {
		return stop, errors.Join(err, <-built)
	}
	stops = append(stops, func() { _ = env.Stop() })
	k8s = env.Client
	promDir := filepath.Join(tmpDir, "prometheus")
	if err := os.MkdirAll(promDir, 0o755); err != nil {
		return stop, errors.Join(err, <-built)
	}
	prom, err = promtest.Start(ctx, promtest.Config{Dir: promDir})
	if err != nil {
		return stop, errors.Join(err, <-built)
	}
	stops = append(stops, func() { _ = prom.Close() })
	if err := <-built; err != nil {
		return stop, err
	}
	kubeconfig = filepath.Join(tmpDir, "kubeconfig")
	if err := stack.WriteKubeconfig(env, "knapp", kubeconfig); err != nil {
		return stop, err
	}
	if platformFile, err = writePlatformConfig(prom.URL()); err != nil {
		return stop, err
	}
	if err := startKnapp("knapp-0"); err != nil {
		return stop, err
	}
	stops = append(stops, func() { knapp.Stop() })
	return stop, nil
}

// writePlatformConfig is knapp's built-in config reading Prometheus at url.
func writePlatformConfig(url string) (string, error) {
	cfg := platform.Default()
	cfg.Analysis.PrometheusURL = url
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return "", err
	}
	path := filepath.Join(tmpDir, "platform.yaml")
	return path, os.WriteFile(path, data, 0o644)
}

// startKnapp runs a knapp process named name (its log file's name) and
// waits until it serves metrics, which it does once its manager started.
func startKnapp(name string) error {
	port, err := stack.FreePort()
	if err != nil {
		return err
	}
	metricsAddr = "127.0.0.1:" + strconv.Itoa(port)
	knapp, err = stack.Knapp{
		Bin: knappBin, Dir: root, Kubeconfig: kubeconfig,
		Args: []string{"--platform-config=" + platformFile, "--metrics-bind-address=" + metricsAddr,
			"--health-probe-bind-address=0", "--hook-bind-address=0", "--enable-webhooks=false"},
		LogFile: filepath.Join(tmpDir, name+".log"),
	}.Start()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := scrapeKnapp(); err == nil {
			return nil
		}
		select {
		case <-knapp.Exited():
			return fmt.Errorf("knapp %s exited: %v\n%s", name, knapp.Err(), stack.Tail(knapp.LogFile, 30))
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("knapp %s does not serve metrics at %s", name, metricsAddr)
}
