package cli

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

//go:embed console
var consoleAssets embed.FS

// consoleCookie carries the session's token; SameSite=Strict keeps every
// other site's requests from carrying it.
const consoleCookie = "knapp-console"

func newConsoleCommand(o *options) *cobra.Command {
	var port int
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Serve a web console of your Apps on 127.0.0.1, with your own kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.watchClient()
			if err != nil {
				return err
			}
			ns, err := o.namespace()
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				return fmt.Errorf("listening on 127.0.0.1:%d: %w", port, err)
			}
			s, err := newConsole(c, ns, ln.Addr().String())
			if err != nil {
				return err
			}
			fmt.Fprintf(o.streams.Out, "kubectl knapp console: open %s (Ctrl-C stops it)\n", s.loginURL())
			return s.serve(cmd.Context(), ln)
		},
	}
	cmd.Flags().IntVar(&port, "port", 3100, "Port on 127.0.0.1 to serve the console on; 0 picks a free one.")
	return cmd
}

// console is the web console's server. It holds no credentials of its
// own: every read and write goes through the caller's client. Only this
// machine reaches it (127.0.0.1), only the person who got the login URL
// holds its token, and only requests whose Host is its own address are
// answered (a DNS-rebound name is not).
type console struct {
	client    client.WithWatch
	namespace string
	addr      string
	token     string
	mux       *http.ServeMux
}

func newConsole(c client.WithWatch, namespace, addr string) (*console, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	s := &console{client: c, namespace: namespace, addr: addr, token: hex.EncodeToString(raw), mux: http.NewServeMux()}
	assets, err := fs.Sub(consoleAssets, "console")
	if err != nil {
		return nil, err
	}
	s.mux.Handle("GET /", http.FileServerFS(assets))
	s.mux.HandleFunc("GET /login", s.login)
	s.mux.HandleFunc("GET /api/apps", s.listApps)
	s.mux.HandleFunc("GET /api/apps/watch", s.watchApps)
	s.mux.HandleFunc("GET /api/apps/{namespace}/{name}", s.getApp)
	s.mux.HandleFunc("GET /api/apps/{namespace}/{name}/watch", s.watchApp)
	s.mux.HandleFunc("POST /api/apps/{namespace}/{name}/{action}", s.act)
	return s, nil
}

// loginURL sets the session cookie and opens the console.
func (s *console) loginURL() string {
	return "http://" + s.addr + "/login?token=" + s.token
}

func (s *console) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeHTTP answers only requests to its own address, and, but for the
// login, only those carrying the session's cookie; writes must also carry
// a header a cross-site form cannot send.
func (s *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Host != s.addr {
		http.Error(w, "this console answers only at "+s.addr, http.StatusMisdirectedRequest)
		return
	}
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	if r.URL.Path != "/login" && !s.hasSession(r) {
		http.Error(w, "open the URL kubectl knapp console printed (it carries this session's token)", http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("X-Knapp-Console") != "1" {
		http.Error(w, "missing X-Knapp-Console header", http.StatusForbidden)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *console) hasSession(r *http.Request) bool {
	c, err := r.Cookie(consoleCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.token)) == 1
}

func (s *console) login(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(s.token)) != 1 {
		http.Error(w, "wrong or missing token: open the URL kubectl knapp console printed", http.StatusUnauthorized)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/#/"+s.namespace, http.StatusSeeOther)
}
