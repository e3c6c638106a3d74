package stack

import (
	"os"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"knapp.dev/knapp/test/testenv"
)

// WriteKubeconfig provisions an admin (system:masters) user named user and
// writes a kubeconfig for it to path, readable by the owner only (it holds
// a client key). A user per process shows who wrote what, such as Knative's
// serving.knative.dev/creator annotation.
func WriteKubeconfig(env *testenv.Env, user, path string) error {
	u, err := env.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	data, err := u.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
