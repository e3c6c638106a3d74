package failure

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"knapp.dev/knapp/test/stack"
)

// knapp is one knapp process of a test.
type knapp struct {
	*stack.Process
	name string
	// metrics is the host:port of its metrics endpoint.
	metrics string
}

// startKnapp starts bin/knapp as name, logging to a file of the test's
// own. Every port is its own or off, so replicas do not clash; its
// webhooks are off unless args serve them (webhooks.Args()). It is stopped
// when the test ends, and on failure the end of its log is shown.
func startKnapp(t *testing.T, name string, args ...string) *knapp {
	t.Helper()
	port, err := stack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	metrics := "127.0.0.1:" + strconv.Itoa(port)
	all := []string{"--metrics-bind-address=" + metrics, "--health-probe-bind-address=0", "--hook-bind-address=0"}
	if !servesWebhooks(args) {
		all = append(all, "--enable-webhooks=false")
	}
	dir := filepath.Join(logDir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := stack.Knapp{
		Bin: knappBin, Dir: root, Kubeconfig: kubeconfig,
		Args:    append(all, args...),
		LogFile: filepath.Join(dir, name+".log"),
	}.Start()
	if err != nil {
		t.Fatal(err)
	}
	p.Name = "knapp " + name
	k := &knapp{Process: p, name: name, metrics: metrics}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			t.Logf("%s's log (%s) ends:\n%s", name, p.LogFile, stack.Tail(p.LogFile, 30))
		}
	})
	return k
}

func servesWebhooks(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "--webhook-port") {
			return true
		}
	}
	return false
}

// alive fails the test if the process has exited.
func (k *knapp) alive(t *testing.T) {
	t.Helper()
	select {
	case <-k.Exited():
		t.Fatalf("%v", k.ExitError())
	default:
	}
}

// logLines are the lines of its log from byte offset from on that contain
// every one of substrs.
func (k *knapp) logLines(from int64, substrs ...string) []string {
	f, err := os.Open(k.LogFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
next:
	for sc.Scan() {
		for _, s := range substrs {
			if !strings.Contains(sc.Text(), s) {
				continue next
			}
		}
		out = append(out, sc.Text())
	}
	return out
}

// logSize is how far its log has been written, for logLines.
func (k *knapp) logSize() int64 {
	fi, err := os.Stat(k.LogFile)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// metric is the value of one series of its metrics endpoint, such as
// `knapp_reconcile_errors_total{reason="Conflict"}`; 0 when absent.
func (k *knapp) metric(series string) (float64, error) {
	// Longer than a scrape can take on a busy machine: its Apps collector
	// alone may wait 5 s (pkg/metrics' listTimeout) for knapp's cache.
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get("http://" + k.metrics + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, sc.Err()
}

// errorClasses are the API errors a reconcile error names, by the text
// client-go gives them.
var errorClasses = []struct{ class, text string }{
	{"Conflict", "the object has been modified"},
	{"AlreadyExists", "already exists"},
	{"NotFound", "not found"},
	{"connection refused", "connection refused"},
	{"EOF", "EOF"},
}

// workSummary says, for each of these knapps, how many Knative Services
// it created and how many reconciles failed (to be retried), by class.
func workSummary(procs ...*knapp) string {
	var b strings.Builder
	for _, k := range procs {
		errs := k.logLines(0, "Reconciler error")
		fmt.Fprintf(&b, "  %s: created %d Services; %d reconcile errors", k.name,
			len(k.logLines(0, "created Knative Service")), len(errs))
		for _, c := range errorClasses {
			if n := countContaining(errs, c.text); n > 0 {
				fmt.Fprintf(&b, ", %s %d", c.class, n)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func countContaining(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// waitForLog waits until its log has a line with every one of substrs.
func (k *knapp) waitForLog(t *testing.T, timeout time.Duration, substrs ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for len(k.logLines(0, substrs...)) == 0 {
		k.alive(t)
		if time.Now().After(deadline) {
			t.Fatalf("%s logged no line with %q within %s", k.name, substrs, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
