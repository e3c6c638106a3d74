package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/pkg/cli"
	"knapp.dev/knapp/test/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden outputs")

var (
	env   *testenv.Env
	admin client.Client
	// kubeconfigs of the team's editor and viewer.
	editor, viewer string
)

const team = "team-a"

func TestMain(m *testing.M) {
	if testenv.SkipSuite() {
		fmt.Println("skipping kubectl knapp tests: KUBEBUILDER_ASSETS is not set (make test sets it)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	testenv.SetupLogging()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var err error
	if env, err = testenv.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	admin = env.Client
	dir, err := os.MkdirTemp("", "knapp-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := setupTeam(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, "setting up the team:", err)
		return 1
	}
	return m.Run()
}

// setupTeam makes the team's editor and viewer: users bound to knapp's
// tenant roles knapp-app-edit and knapp-app-view in the team's namespace.
func setupTeam(ctx context.Context, dir string) error {
	var err error
	if editor, err = env.TenantKubeconfig(ctx, team, "alice", "knapp-app-edit", dir); err != nil {
		return err
	}
	viewer, err = env.TenantKubeconfig(ctx, team, "victor", "knapp-app-view", dir)
	return err
}

// knapp runs kubectl knapp with args as the user of kubeconfig, in the
// team's namespace, and returns what it printed and its error.
func knapp(kubeconfig string, args ...string) (string, error) {
	var out bytes.Buffer
	root := cli.NewRootCommand(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
	root.SetArgs(append([]string{"--kubeconfig", kubeconfig, "-n", team}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// assertGolden compares got with testdata/<name>.txt.
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./test/cli -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("kubectl knapp %s printed:\n%s\nwant:\n%s", name, got, want)
	}
}
