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

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

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

// setupTeam creates the team's namespace, knapp's tenant roles, and an
// editor and a viewer bound to them there, each with a kubeconfig.
func setupTeam(ctx context.Context, dir string) error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: team}}); err != nil {
		return err
	}
	roles, err := testenv.ReadObjects(filepath.Join(root, "config", "rbac", "tenant-roles.yaml"))
	if err != nil {
		return err
	}
	for _, r := range roles {
		if err := admin.Create(ctx, r); err != nil {
			return err
		}
	}
	for _, u := range []struct {
		name, role string
		path       *string
	}{{"alice", "knapp-app-edit", &editor}, {"victor", "knapp-app-view", &viewer}} {
		binding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: team, Name: u.name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: u.role},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: u.name}},
		}
		if err := admin.Create(ctx, binding); err != nil {
			return err
		}
		user, err := env.AddUser(envtest.User{Name: u.name}, nil)
		if err != nil {
			return err
		}
		data, err := user.KubeConfig()
		if err != nil {
			return err
		}
		*u.path = filepath.Join(dir, u.name+".kubeconfig")
		if err := os.WriteFile(*u.path, data, 0o600); err != nil {
			return err
		}
	}
	return nil
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
