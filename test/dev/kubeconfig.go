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
