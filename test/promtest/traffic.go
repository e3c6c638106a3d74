package promtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// maxInFlight bounds the requests Serve or one Load has open at once: 100
// answers of 600ms take about a second, and a burst never opens more
// sockets than this.
const maxInFlight = 100

// app is the user container behind the metrics handler: it waits the
// latency the request asks for (?latency=600ms) and answers its status
// (?status=503), so each request says what Knative's handler records.
func app(w http.ResponseWriter, r *http.Request) {
	status, latency, err := parseRequest(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d after %s\n", status, latency)
}

func parseRequest(v url.Values) (int, time.Duration, error) {
	status := http.StatusOK
	if s := v.Get("status"); s != "" {
		var err error
		if status, err = strconv.Atoi(s); err != nil || status < 200 || status > 599 {
			return 0, 0, fmt.Errorf("status %q: want 200 to 599", s)
		}
	}
	var latency time.Duration
	if s := v.Get("latency"); s != "" {
		var err error
		if latency, err = time.ParseDuration(s); err != nil || latency < 0 {
			return 0, 0, fmt.Errorf("latency %q: want a Go duration", s)
		}
	}
	return status, latency, nil
}

// RequestURL is a URL of the revision that answers status after latency,
// for tests that send their own requests.
func (q *QueueProxy) RequestURL(status int, latency time.Duration) string {
	return fmt.Sprintf("%s/?status=%d&latency=%s", q.URL(), status, latency)
}

// Serve sends n requests that answer status after latency, up to 100 at
// once, and returns when all have been answered: an error if any was not
// answered with status. Knative's handler records each one.
func (q *QueueProxy) Serve(ctx context.Context, n int, status int, latency time.Duration) error {
	if _, _, err := parseRequest(url.Values{"status": {strconv.Itoa(status)}}); err != nil {
		return err
	}
	target := q.RequestURL(status, latency)
	slots := make(chan struct{}, maxInFlight)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-slots }()
			errs <- q.request(ctx, target, status)
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	if len(all) > 0 {
		return fmt.Errorf("%s: %d of %d requests failed, the first: %w", q.rev.Name, len(all), n, all[0])
	}
	return nil
}

func (q *QueueProxy) request(ctx context.Context, target string, status int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := q.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
	if resp.StatusCode != status {
		return fmt.Errorf("answered %d, want %d", resp.StatusCode, status)
	}
	return nil
}

// Load is a steady stream of requests, from QueueProxy.Load.
type Load struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	sent  int
	first error
}

// Load sends rps requests a second that answer status after latency, until
// Stop: the steady traffic a revision gets while a controller analyses it.
// At most 100 are open at once; should rps×latency exceed that, the rate
// falls short rather than the sockets growing.
func (q *QueueProxy) Load(rps float64, status int, latency time.Duration) *Load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Load{cancel: cancel, done: make(chan struct{})}
	target := q.RequestURL(status, latency)
	go func() {
		defer close(l.done)
		if rps <= 0 {
			l.fail(fmt.Errorf("rps %v: want more than 0", rps))
			return
		}
		if _, _, err := parseRequest(url.Values{"status": {strconv.Itoa(status)}}); err != nil {
			l.fail(err)
			return
		}
		tick := time.NewTicker(time.Duration(float64(time.Second) / rps))
		defer tick.Stop()
		slots := make(chan struct{}, maxInFlight)
		var wg sync.WaitGroup
		defer wg.Wait() // Stop returns once the open requests are answered
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				defer func() { <-slots }()
				// Not ctx: a request cut by Stop would be recorded with
				// whatever status the cut gave it.
				l.count(q.request(context.Background(), target, status))
			})
		}
	}()
	return l
}

func (l *Load) count(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent++
	if err != nil && l.first == nil {
		l.first = err
	}
}

func (l *Load) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.first = err
}

// Stop ends the load, waits for its open requests, and says how many were
// sent and the first that was not answered as asked.
func (l *Load) Stop() (sent int, err error) {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent, l.first
}
