package hookapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server serves a handler on its own address until its context is done. It
// is a controller-runtime manager.Runnable that runs on every replica, not
// only the leader:
//
//	mgr.Add(&hookapi.Server{Addr: ":8082", Handler: hookapi.NewHandler(builds, opts)})
type Server struct {
	// Addr to listen on, such as ":8082".
	Addr string
	// Handler to serve, usually NewHandler's.
	Handler http.Handler
	// ShutdownTimeout is how long requests in flight may take once the
	// context is done; defaults to 15 seconds.
	ShutdownTimeout time.Duration
}

// Start listens on Addr and serves until ctx is done, then shuts down
// gracefully. It returns an error when it cannot listen or serving fails.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("build hook API: %w", err)
	}
	return s.serve(ctx, ln)
}

func (s *Server) serve(ctx context.Context, ln net.Listener) error {
	srv := NewHTTPServer(s.Addr, s.Handler)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("build hook API: %w", err)
	case <-ctx.Done():
	}
	timeout := s.ShutdownTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("build hook API: shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("build hook API: %w", err)
	}
	return nil
}

// NeedLeaderElection is false: every replica serves the hook API.
func (s *Server) NeedLeaderElection() bool { return false }

// NewHTTPServer is an http.Server for h on addr with timeouts fit for
// webhook deliveries on a port reachable from outside the cluster.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}
