package hookapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"
)

var (
	_ manager.Runnable               = (*Server)(nil)
	_ manager.LeaderElectionRunnable = (*Server)(nil)
)

func TestServerRunsOnEveryReplica(t *testing.T) {
	if (&Server{}).NeedLeaderElection() {
		t.Error("NeedLeaderElection() = true; every replica must serve hooks")
	}
}

// Start serves until its context is done, and lets a request in flight
// finish.
func TestServerShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	s := &Server{Addr: ln.Addr().String(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		writeJSON(w, http.StatusOK, statusBody{Status: "done"})
	})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx, ln) }()

	type result struct {
		body string
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+s.Addr+"/", "application/json", nil)
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		resc <- result{string(b), err}
	}()

	<-entered
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Start returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if r := <-resc; r.err != nil || !strings.Contains(r.body, `"done"`) {
		t.Errorf("request in flight: %q, %v", r.body, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after its context was done")
	}
	if _, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		t.Error("still listening after shutdown")
	}
}

func TestServerStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&Server{Addr: "127.0.0.1:0", Handler: http.NotFoundHandler()}).Start(ctx); err != nil {
		t.Errorf("Start with a done context = %v", err)
	}
	if err := (&Server{Addr: "127.0.0.1:-1"}).Start(context.Background()); err == nil {
		t.Error("Start on a bad address succeeded")
	}
}
