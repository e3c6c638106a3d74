package buildsteps

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// gitRepo makes root/shop.git, a bare repository whose main has one commit,
// and returns that commit.
func gitRepo(t *testing.T, root string) string {
	t.Helper()
	work := t.TempDir()
	git := func(dir string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(work, "init", "-q", "-b", "main", ".")
	if err := os.WriteFile(filepath.Join(work, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(work, "add", "Dockerfile")
	git(work, "commit", "-q", "-m", "first")
	git(root, "clone", "-q", "--bare", work, "shop.git")
	return git(work, "rev-parse", "HEAD")
}

// httpsGitServer serves root's repositories over git's smart HTTP (git
// http-backend) with TLS; with user set it asks for those basic-auth
// credentials. It counts the requests that carried credentials.
type httpsGitServer struct {
	*httptest.Server
	withAuth atomic.Int32
}

func newHTTPSGitServer(t *testing.T, root, user, password string) *httpsGitServer {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{Path: gitPath, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	s := &httpsGitServer{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			s.withAuth.Add(1)
		}
		if user != "" {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// caFile writes the test servers' certificate (all of httptest's TLS
// servers share it) for git's GIT_SSL_CAINFO.
func (s *httpsGitServer) caFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(path, pemCert, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sshGitServer serves root's repositories to git over SSH, to the one
// client key it was given.
type sshGitServer struct {
	addr    string
	hostKey ssh.PublicKey
}

func newSSHGitServer(t *testing.T, root string, client ssh.PublicKey) *sshGitServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	config := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if string(key.Marshal()) == string(client.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("unknown key")
	}}
	config.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSSH(conn, config, root)
		}
	}()
	return &sshGitServer{addr: ln.Addr().String(), hostKey: signer.PublicKey()}
}

func serveSSH(conn net.Conn, config *ssh.ServerConfig, root string) {
	_, chans, reqs, err := ssh.NewServerConn(conn, config)
	if err != nil {
		conn.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	for newCh := range chans {
		if newCh.ChannelType() != "session" {
			newCh.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, requests, err := newCh.Accept()
		if err != nil {
			continue
		}
		go serveSession(ch, requests, root)
	}
}

// serveSession runs git upload-pack for an exec of
// git-upload-pack '/<repository>', and refuses anything else.
func serveSession(ch ssh.Channel, requests <-chan *ssh.Request, root string) {
	defer ch.Close()
	for req := range requests {
		switch req.Type {
		case "env":
			req.Reply(true, nil)
		case "exec":
			var payload struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
				req.Reply(false, nil)
				return
			}
			repo, ok := strings.CutPrefix(payload.Command, "git-upload-pack '/")
			repo, ok2 := strings.CutSuffix(repo, "'")
			if !ok || !ok2 || strings.Contains(repo, "..") {
				req.Reply(false, nil)
				return
			}
			req.Reply(true, nil)
			cmd := exec.Command("git", "upload-pack", filepath.Join(root, repo))
			stdin, _ := cmd.StdinPipe()
			cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
			status := uint32(0)
			if err := cmd.Start(); err != nil {
				status = 127
			} else {
				// Not waited for: the client closes its side only after the
				// exit status.
				go func() { io.Copy(stdin, ch); stdin.Close() }()
				if err := cmd.Wait(); err != nil {
					status = 1
				}
			}
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// knownHosts is the server's line for ssh's known_hosts.
func (s *sshGitServer) knownHosts() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, s.hostKey) + "\n"
}

// newClientKey is an ed25519 key: its public half and its private key in
// OpenSSH's format, as kubernetes.io/ssh-auth's ssh-privatekey holds it.
func newClientKey(t *testing.T) (ssh.PublicKey, []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sshPub, pem.EncodeToMemory(block)
}
