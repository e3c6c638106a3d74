package failure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/test/stack"
	"knapp.dev/knapp/test/testenv"
)

// The tests share one control plane; each runs its own knapp processes and
// works in namespaces of its own. They run one after another (no
// t.Parallel): every knapp reconciles every namespace, and a test that
// kills knapp must know which knapp is running.
var (
	env *testenv.Env
	k8s client.Client
	// root is the repository; knappBin the binary built from it.
	root, knappBin string
	// kubeconfig is an admin's, for the knapp processes.
	kubeconfig string
	// logDir keeps every knapp's log; kept when a test failed or
	// KNAPP_FAILURE_KEEP_LOGS is set.
	logDir string
	// webhooks is where a knapp serving its webhooks must listen, behind
	// the control plane's webhook server.
	webhooks stack.KnappWebhooks
)

func TestMain(m *testing.M) {
	if testenv.SkipSuite() {
		fmt.Println("skipping failure tests: KUBEBUILDER_ASSETS is not set (make test sets it)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) (code int) {
	testenv.SetupLogging()
	tmp, err := os.MkdirTemp("", "knapp-failure-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if code != 0 || os.Getenv("KNAPP_FAILURE_KEEP_LOGS") != "" {
			fmt.Fprintln(os.Stderr, "knapp's logs are kept in", logDir)
			_ = os.RemoveAll(filepath.Join(tmp, "apiserver"))
			return
		}
		_ = os.RemoveAll(tmp)
	}()
	if err := setup(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "setting up:", err)
		if env != nil {
			_ = env.Stop()
		}
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}()
	return m.Run()
}

func setup(tmp string) error {
	var err error
	if root, err = testenv.RepoRoot(); err != nil {
		return err
	}
	logDir = filepath.Join(tmp, "logs")
	// The binary builds while the control plane starts.
	knappBin = filepath.Join(tmp, "knapp")
	built := make(chan error, 1)
	go func() {
		cmd := exec.Command("go", "build", "-o", knappBin, "./cmd/knapp")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("go build ./cmd/knapp: %w\n%s", err, out)
		}
		built <- err
	}()

	// The apiserver's certificates live outside envtest's temporary
	// directory, so TestAPIServerRestart can bring it back with them.
	apiDir := filepath.Join(tmp, "apiserver")
	if err := os.MkdirAll(apiDir, 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env, err = testenv.Start(ctx, testenv.WithRestartableAPIServer(apiDir))
	if err != nil {
		return errors.Join(err, <-built)
	}
	k8s = env.Client
	if err := <-built; err != nil {
		return err
	}
	if kubeconfig, err = writeKubeconfig(tmp); err != nil {
		return err
	}
	if webhooks, err = stack.ProxyKnappWebhooks(env); err != nil {
		return err
	}
	// Not ctx: the build, waited for above, may outlast the start's deadline.
	ictx, icancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer icancel()
	return installPlatform(ictx)
}

// writeKubeconfig writes an admin's kubeconfig for the knapp processes.
func writeKubeconfig(dir string) (string, error) {
	path := filepath.Join(dir, "kubeconfig")
	return path, stack.WriteKubeconfig(env, "knapp", path)
}

// installPlatform creates the platform's build template, so Apps with
// spec.build get their Workflows (no Argo controller runs them), and
// knapp-system.
func installPlatform(ctx context.Context) error {
	data, err := os.ReadFile(filepath.Join(root, "config", "build", "knapp-build.yaml"))
	if err != nil {
		return err
	}
	tmpl := &wfv1.ClusterWorkflowTemplate{}
	if err := yaml.UnmarshalStrict(data, tmpl); err != nil {
		return fmt.Errorf("config/build/knapp-build.yaml: %w", err)
	}
	if err := k8s.Create(ctx, tmpl); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	// knapp's own namespace, excluded from the pod webhook.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "knapp-system"}}
	if err := k8s.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}
