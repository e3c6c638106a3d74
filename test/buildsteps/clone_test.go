package buildsteps

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
)

const (
	gitUser  = "ci"
	gitToken = "glpat-s3cr3t-t0ken"
)

// credentials is the git Secret as the pod mounts it: one file per key,
// readable by the owner and group only (defaultMode 0440).
func credentials(t *testing.T, keys map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range keys {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o440); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// noCredentials is where the Secret would be mounted when there is none.
func noCredentials(t *testing.T) string { return filepath.Join(t.TempDir(), "absent") }

// cloneResult is what a run of the clone step left.
type cloneResult struct {
	out  string
	err  error
	head string // the commit checked out
	home string // its HOME, with the git config it wrote
}

// cloneRun runs the clone step of a build of app with the git Secret in
// creds.
func cloneRun(t *testing.T, app *v1alpha1.App, creds string, env map[string]string) cloneResult {
	t.Helper()
	if errs := v1alpha1.ValidateBuild(app.Spec.Build, field.NewPath("spec", "build")); len(errs) > 0 {
		t.Fatalf("the test App is invalid: %v", errs)
	}
	clone, _ := buildSteps(t, app)
	workspace, home := t.TempDir(), t.TempDir()
	override := map[string]string{"GIT_CREDENTIALS": creds, "WORKSPACE": workspace, "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"}
	for k, v := range env {
		override[k] = v
	}
	out, err := clone.run(t, override)
	head, _ := exec.Command("git", "-C", filepath.Join(workspace, "src"), "rev-parse", "HEAD").Output()
	return cloneResult{out: out, err: err, head: strings.TrimSpace(string(head)), home: home}
}

func TestCloneHTTPSPrivateRepository(t *testing.T) {
	requireTools(t, "git", "sh", "sed")
	root := t.TempDir()
	commit := gitRepo(t, root)
	srv := newHTTPSGitServer(t, root, gitUser, gitToken)
	env := map[string]string{"GIT_SSL_CAINFO": srv.caFile(t)}
	app := newApp(srv.URL+"/shop.git", "git-token")

	token := credentials(t, map[string]string{"username": gitUser, "password": gitToken})
	r := cloneRun(t, app, token, env)
	if r.err != nil || r.head != commit {
		t.Fatalf("clone with the token: %v, HEAD %q, want %s\n%s", r.err, r.head, commit, r.out)
	}
	if strings.Contains(r.out, gitToken) {
		t.Errorf("the clone step printed the token:\n%s", r.out)
	}

	// Without the Secret, or with a wrong token, the server refuses, and
	// the step fails at once instead of waiting for a prompt.
	if r := cloneRun(t, newApp(srv.URL+"/shop.git", ""), noCredentials(t), env); r.err == nil {
		t.Errorf("cloned a private repository without credentials:\n%s", r.out)
	}
	wrong := credentials(t, map[string]string{"username": gitUser, "password": "wrong-" + gitToken})
	r = cloneRun(t, app, wrong, env)
	if r.err == nil {
		t.Errorf("cloned with a wrong token:\n%s", r.out)
	}
	if strings.Contains(r.out, "wrong-"+gitToken) {
		t.Errorf("the clone step printed the token:\n%s", r.out)
	}
}

// A server that redirects elsewhere after authenticating must not see the
// credentials go with the redirect, even when the other server asks for
// them: the credential helper answers for the repository's host alone.
func TestCloneHTTPSRedirectGetsNoCredentials(t *testing.T) {
	requireTools(t, "git", "sh", "sed")
	root := t.TempDir()
	gitRepo(t, root)
	elsewhere := newHTTPSGitServer(t, root, gitUser, gitToken)
	redirecting := newHTTPSGitServer(t, root, gitUser, gitToken)
	inner := redirecting.Config.Handler
	redirecting.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != gitUser || p != gitToken {
			inner.ServeHTTP(w, r) // asks for credentials
			return
		}
		redirecting.withAuth.Add(1)
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusFound)
	})
	token := credentials(t, map[string]string{"username": gitUser, "password": gitToken})
	r := cloneRun(t, newApp(redirecting.URL+"/shop.git", "git-token"), token,
		map[string]string{"GIT_SSL_CAINFO": redirecting.caFile(t)})
	if redirecting.withAuth.Load() == 0 {
		t.Fatalf("the repository's own server never got the credentials; the test proves nothing\n%s", r.out)
	}
	if n := elsewhere.withAuth.Load(); n > 0 {
		t.Errorf("the redirect's target got the credentials in %d requests", n)
	}
	// git itself does not resend them after a redirect; the helper's scope
	// is the second guard, asked directly: it answers for the repository's
	// host and port, and for no other.
	ask := func(host string) string {
		cmd := exec.Command("git", "credential", "fill")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.home, "GIT_CREDENTIALS=" + token,
			"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS="}
		cmd.Stdin = strings.NewReader("protocol=https\nhost=" + host + "\n\n")
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	own := strings.TrimPrefix(redirecting.URL, "https://")
	if got := ask(own); !strings.Contains(got, "password="+gitToken) {
		t.Fatalf("the helper does not answer for the repository's own host %s: %q", own, got)
	}
	for _, other := range []string{strings.TrimPrefix(elsewhere.URL, "https://"), "git.example.com"} {
		if got := ask(other); strings.Contains(got, gitToken) {
			t.Errorf("the helper gives the token to %s", other)
		}
	}
}

func TestCloneSSHPrivateRepository(t *testing.T) {
	requireTools(t, "git", "sh", "ssh")
	root := t.TempDir()
	commit := gitRepo(t, root)
	clientPub, clientKey := newClientKey(t)
	srv := newSSHGitServer(t, root, clientPub)
	app := newApp("ssh://git@"+srv.addr+"/shop.git", "deploy-key")

	key := credentials(t, map[string]string{"ssh-privatekey": string(clientKey), "known_hosts": srv.knownHosts()})
	r := cloneRun(t, app, key, nil)
	if r.err != nil || r.head != commit {
		t.Fatalf("clone with the deploy key: %v, HEAD %q, want %s\n%s", r.err, r.head, commit, r.out)
	}
	if strings.Contains(r.out, "PRIVATE KEY") {
		t.Errorf("the clone step printed the key:\n%s", r.out)
	}

	// A host key other than the one given: refused, as a machine in the
	// middle would be.
	impostor := newSSHGitServer(t, root, clientPub)
	mismatched := credentials(t, map[string]string{"ssh-privatekey": string(clientKey),
		"known_hosts": strings.Replace(impostor.knownHosts(), impostor.addr, srv.addr, 1)})
	r = cloneRun(t, app, mismatched, nil)
	if r.err == nil || !strings.Contains(r.out, "Host key verification failed") {
		t.Errorf("clone with a known_hosts of another host key: %v, want host key verification to fail\n%s", r.err, r.out)
	}

	// No known_hosts: the step refuses before it connects.
	r = cloneRun(t, app, credentials(t, map[string]string{"ssh-privatekey": string(clientKey)}), nil)
	if !exitedWith(r.err, 2) || !strings.Contains(r.out, "no known_hosts") {
		t.Errorf("clone without known_hosts: %v, want exit 2 naming known_hosts\n%s", r.err, r.out)
	}

	// A key the server does not know.
	_, otherKey := newClientKey(t)
	other := credentials(t, map[string]string{"ssh-privatekey": string(otherKey), "known_hosts": srv.knownHosts()})
	if r := cloneRun(t, app, other, nil); r.err == nil {
		t.Errorf("cloned with a key the server does not know:\n%s", r.out)
	}

	// A token is for https:// only; never sent over ssh or elsewhere.
	token := credentials(t, map[string]string{"username": gitUser, "password": gitToken})
	r = cloneRun(t, app, token, nil)
	if !exitedWith(r.err, 2) || !strings.Contains(r.out, "https:// URLs only") {
		t.Errorf("a username and password with an ssh URL: %v, want exit 2\n%s", r.err, r.out)
	}
}

// The default stays as it was for public repositories: no Secret, an
// anonymous clone.
func TestClonePublicRepository(t *testing.T) {
	requireTools(t, "git", "sh")
	root := t.TempDir()
	commit := gitRepo(t, root)
	srv := newHTTPSGitServer(t, root, "", "")
	r := cloneRun(t, newApp(srv.URL+"/shop.git", ""), noCredentials(t), map[string]string{"GIT_SSL_CAINFO": srv.caFile(t)})
	if r.err != nil || r.head != commit {
		t.Fatalf("public clone: %v, HEAD %q, want %s\n%s", r.err, r.head, commit, r.out)
	}
	if srv.withAuth.Load() != 0 {
		t.Error("an anonymous clone sent credentials")
	}
}

func exitedWith(err error, code int) bool {
	exit, ok := err.(*exec.ExitError)
	return ok && exit.ExitCode() == code
}
