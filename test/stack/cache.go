package stack

import (
	"os"
	"path/filepath"
)

// CacheDir is where knapp's tooling caches things, as the Makefile and
// test/controlplane/install.sh choose it.
func CacheDir() (string, error) {
	if dir := os.Getenv("KNAPP_CACHE"); dir != "" {
		return dir, nil
	}
	if dir := os.Getenv("XDG_CACHE_HOME"); dir != "" {
		return filepath.Join(dir, "knapp"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache", "knapp"), nil
}
