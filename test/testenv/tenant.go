package testenv

import (
	"context"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TenantKubeconfig makes the namespace (if need be), knapp's tenant roles
// (config/rbac/tenant-roles.yaml) and a user bound to role there, and
// writes the user's kubeconfig into dir: a team member with only what the
// chart gives a team, whose every request the apiserver authorizes.
func (e *Env) TenantKubeconfig(ctx context.Context, namespace, user, role, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	if err := e.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	roles, err := ReadObjects(filepath.Join(root, "config", "rbac", "tenant-roles.yaml"))
	if err != nil {
		return "", err
	}
	for _, r := range roles {
		if err := e.Client.Create(ctx, r); err != nil && !apierrors.IsAlreadyExists(err) {
			return "", err
		}
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: user + "-" + role},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user}},
	}
	if err := e.Client.Create(ctx, binding); err != nil {
		return "", err
	}
	u, err := e.AddUser(envtest.User{Name: user}, nil)
	if err != nil {
		return "", err
	}
	data, err := u.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, user+".kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}
