package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"knapp.dev/knapp/pkg/cli"
)

// completions runs kubectl knapp's shell completion for words, as the
// user of kubeconfig, and returns the choices without cobra's directive.
func completions(t *testing.T, kubeconfig string, words ...string) []string {
	t.Helper()
	out, err := knapp(kubeconfig, append([]string{"__complete"}, words...)...)
	if err != nil {
		t.Fatalf("kubectl knapp __complete %v: %v\n%s", words, err, out)
	}
	return choices(out)
}

func choices(out string) []string {
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l != "" && !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "Completion ended") {
			got = append(got, l)
		}
	}
	return got
}

// Completion answers as kubectl's does, with what the caller may read:
// App names, the App's revisions, and kubeconfig contexts.
func TestCompletion(t *testing.T) {
	shopInRollout(t)
	cart(t, nil)
	for _, c := range []struct {
		name  string
		words []string
		want  []string
	}{
		{"App names", []string{"describe", ""}, []string{"cart", "shop"}},
		{"App names with a prefix", []string{"promote", "sh"}, []string{"shop"}},
		{"rollback's revision", []string{"rollback", "cart", ""}, []string{"cart-bbbbbbbbbb", "cart-aaaaaaaaaa"}},
		{"canary's --revision, latest too", []string{"canary", "cart", "--revision", ""}, []string{"cart-bbbbbbbbbb", "cart-aaaaaaaaaa", "latest"}},
		{"canary's --stable", []string{"canary", "cart", "--stable", "cart-a"}, []string{"cart-aaaaaaaaaa"}},
		{"no App, no revisions", []string{"rollback", "nope", ""}, nil},
	} {
		if got := completions(t, viewer, c.words...); !slices.Equal(got, c.want) {
			t.Errorf("%s: completing %q gave %q, want %q", c.name, c.words, got, c.want)
		}
	}
	cfg, err := clientcmd.LoadFromFile(viewer)
	if err != nil {
		t.Fatal(err)
	}
	if got := completions(t, viewer, "get", "--context", ""); !slices.Equal(got, []string{cfg.CurrentContext}) {
		t.Errorf("completing --context gave %q, want the kubeconfig's %q", got, cfg.CurrentContext)
	}
}

// kubectl completes a plugin's words by running kubectl_complete-<plugin>
// from the PATH with them; make build links it to the plugin.
func TestCompletionAsKubectlRunsIt(t *testing.T) {
	cart(t, nil)
	dir := t.TempDir()
	plugin := filepath.Join(dir, "kubectl-knapp")
	build := exec.Command("go", "build", "-o", plugin, "knapp.dev/knapp/cmd/kubectl-knapp")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Symlink("kubectl-knapp", filepath.Join(dir, cli.CompletionCommand)); err != nil {
		t.Fatal(err)
	}
	// kubectl itself (the one make test builds) completes `kubectl knapp
	// -n team-a rollback cart cart-b<TAB>`.
	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	cmd := exec.Command(kubectl, "__complete", "knapp", "-n", team, "rollback", "cart", "cart-b")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+viewer, "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl __complete knapp: %v", err)
	}
	if got := choices(string(out)); !slices.Equal(got, []string{"cart-bbbbbbbbbb"}) {
		t.Errorf("kubectl completing knapp -n team-a rollback cart cart-b printed %q, want cart-bbbbbbbbbb", out)
	}
}
