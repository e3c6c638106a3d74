// Package tenancy attacks knapp as tenants do: users with only the roles a
// tenant team gets in its namespace (knapp's knapp-app-edit and
// knapp-app-view, Knative's and Argo's namespaced roles), on a real
// kube-apiserver that enforces RBAC and knapp's ValidatingAdmissionPolicies
// from config/policy, with knapp itself running as its own ServiceAccount
// under the roles the chart gives it (config/rbac/role.yaml), never
// the admin. Each hostile action checks the refusal (or the safe outcome)
// and then that nothing of another tenant changed.
package tenancy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/testenv"
	"knapp.dev/knapp/webhooks/serve"
)

// knappUser is knapp's ServiceAccount as the apiserver names it; the
// trusted-identities ConfigMap of config/policy names it too.
const knappUser = "system:serviceaccount:knapp-system:knapp"

var (
	env *testenv.Env
	// admin sets the platform up and reads what changed; it never acts
	// for a tenant.
	admin client.Client
)

func TestMain(m *testing.M) {
	if testenv.SkipSuite() {
		fmt.Println("skipping tenancy tests: KUBEBUILDER_ASSETS is not set (make test sets it)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	testenv.SetupLogging()
	root, err := testenv.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err = testenv.Start(context.Background(), testenv.WithWebhookConfigs(
		filepath.Join(root, "config", "webhook", "podlogs.yaml"),
		filepath.Join(root, "config", "webhook", "appvalidation.yaml"),
	))
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}()
	admin = env.Client
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := installPlatform(ctx, root); err != nil {
		fmt.Fprintln(os.Stderr, "installing the platform:", err)
		return 1
	}
	done, err := startKnapp(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting knapp:", err)
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "knapp stopped with:", err)
		return 1
	}
	return code
}

// installPlatform applies what a platform team installs: knapp's
// ClusterRole, the tenant roles, the policies and their parameters, and
// the namespaced roles of Knative Serving and Argo Workflows from their
// modules.
func installPlatform(ctx context.Context, root string) error {
	for _, ns := range []string{"knapp-system", "knative-serving"} {
		if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	serving, err := testenv.ModuleDir("knative.dev/serving")
	if err != nil {
		return err
	}
	argo, err := testenv.ModuleDir("github.com/argoproj/argo-workflows/v3")
	if err != nil {
		return err
	}
	files := []string{
		filepath.Join(root, "config", "rbac", "role.yaml"),
		filepath.Join(root, "config", "rbac", "tenant-roles.yaml"),
		filepath.Join(root, "config", "build", "knapp-build.yaml"),
		filepath.Join(root, "config", "policy", "domain-keys.yaml"),
		filepath.Join(root, "config", "policy", "build-workflows.yaml"),
		filepath.Join(root, "config", "policy", "pod-security.yaml"),
		filepath.Join(serving, "config", "core", "200-roles", "clusterrole-namespaced.yaml"),
		filepath.Join(argo, "manifests", "cluster-install-no-crds", "workflow-controller-rbac", "workflow-aggregate-roles.yaml"),
	}
	for _, f := range files {
		objs, err := testenv.ReadObjects(f)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if err := admin.Create(ctx, o); err != nil {
				return fmt.Errorf("%s: creating %s %s: %w", f, o.GetKind(), o.GetName(), err)
			}
		}
	}
	knapp := rbacv1.Subject{Kind: rbacv1.UserKind, Name: knappUser}
	if err := bind(ctx, "knapp-manager", knapp, ""); err != nil {
		return err
	}
	// role.yaml's Role: Knative's config maps, in Knative's namespace only.
	return admin.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "knative-serving", Name: "knapp-manager"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "knapp-manager"},
		Subjects:   []rbacv1.Subject{knapp},
	})
}

// grantBuildSecrets creates config/rbac/build-secrets.yaml in namespace, as
// the chart does for each of builds.namespaces.
func grantBuildSecrets(ctx context.Context, namespace string) error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	objs, err := testenv.ReadObjects(filepath.Join(root, "config", "rbac", "build-secrets.yaml"))
	if err != nil {
		return err
	}
	for _, o := range objs {
		o.SetNamespace(namespace)
		if err := admin.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %s %s in %s: %w", o.GetKind(), o.GetName(), namespace, err)
		}
	}
	return nil
}

// bind grants role (a ClusterRole) to subject, in namespace or, with "",
// cluster-wide.
func bind(ctx context.Context, role string, subject rbacv1.Subject, namespace string) error {
	ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}
	name := role + "-" + subject.Name
	if namespace == "" {
		return admin.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, RoleRef: ref, Subjects: []rbacv1.Subject{subject}})
	}
	err := admin.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, RoleRef: ref, Subjects: []rbacv1.Subject{subject}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// userConfig is a rest.Config that authenticates as name.
func userConfig(name string, groups ...string) (*rest.Config, error) {
	u, err := env.AddUser(envtest.User{Name: name, Groups: groups}, env.Config)
	if err != nil {
		return nil, err
	}
	return u.Config(), nil
}

// startKnapp runs the reconciler and the webhooks as knapp's own
// ServiceAccount, with exactly the chart's ClusterRole.
func startKnapp(ctx context.Context) (<-chan error, error) {
	cfg, err := userConfig(knappUser, "system:serviceaccounts", "system:serviceaccounts:knapp-system")
	if err != nil {
		return nil, err
	}
	platformCfg := platform.Default()
	platformCfg.Hosts.Reserved = []string{"login"}
	platformCfg.Builds.ImageRepositoryPrefix = "registry.example.com/{namespace}/"
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 env.Scheme,
		Cache:                  app.CacheOptions(platformCfg),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, err
	}
	r := &app.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("knapp"), Platform: platformCfg}
	if err := r.SetupWithManager(ctx, mgr); err != nil {
		return nil, err
	}
	serve.Register(env, mgr.GetClient(), env.Scheme, platformCfg)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the manager's cache did not sync")
	}
	return done, nil
}
