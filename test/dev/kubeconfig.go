package main

import (
	"os"
	"path/filepath"

	"knapp.dev/knapp/test/stack"
	"knapp.dev/knapp/test/testenv"
)

// writeKubeconfig provisions an admin user named dev and writes a kubeconfig
// for it at a fixed path, so a shell keeps one KUBECONFIG across runs (the
// apiserver's port and certificates change every run; the file follows).
func writeKubeconfig(env *testenv.Env) (string, error) {
	cache, err := stack.CacheDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(cache, "dev", "kubeconfig")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return path, stack.WriteKubeconfig(env, "dev", path)
}

// Who knapp and Knative's controller are on a cluster: knapp's policies
// (config/policy) trust these names, so they run as them here too, and
// the reader's own user "dev" is refused what a tenant is refused.
const (
	knappUser   = "system:serviceaccount:knapp-system:knapp"
	knativeUser = "system:serviceaccount:knative-serving:controller"
)

// writeServiceKubeconfig writes a kubeconfig for user (a cluster admin, as
// the dev user is) at <cache>/dev/<name>.kubeconfig.
func writeServiceKubeconfig(env *testenv.Env, name, user string) (string, error) {
	cache, err := stack.CacheDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(cache, "dev", name+".kubeconfig")
	return path, stack.WriteKubeconfig(env, user, path)
}
