package main

import (
	"os"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"knapp.dev/knapp/test/stack"
	"knapp.dev/knapp/test/testenv"
)

// writeKubeconfig provisions an admin user named dev and writes a kubeconfig
// for it at a fixed path, so a shell keeps one KUBECONFIG across runs (the
// apiserver's port and certificates change every run; the file follows).
func writeKubeconfig(env *testenv.Env) (string, error) {
	user, err := env.AddUser(envtest.User{Name: "dev", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	cache, err := stack.CacheDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(cache, "dev", "kubeconfig")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	// It holds a client key: readable by the user only.
	return path, os.WriteFile(path, data, 0o600)
}
