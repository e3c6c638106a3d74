package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// crdSources are the CRDs knapp works with, each in the module that ships
// them, at the version go.mod pins.
var crdSources = []struct {
	module string // "" for knapp's own module
	path   string // inside the module
}{
	{"", "config/crd/bases"},
	{"knative.dev/serving", "config/core/300-resources"},
	{"istio.io/api", "kubernetes/customresourcedefinitions.gen.yaml"},
	{"github.com/argoproj/argo-workflows/v3", "manifests/base/crds/full"},
}

// Knative Eventing is not in go.mod: knapp declares the few PingSource
// fields it writes rather than build with Eventing's Go API, which would add
// 17 MB to knapp (see pkg/resources/pingsource.go). So its
// PingSource CRD comes from the release pinned here, the one that goes with
// knative.dev/serving in go.mod (both v0.50.0, on the same knative.dev/pkg);
// raise them together. sum is the module's go.sum (h1:) hash, checked even
// where the checksum database is turned off.
var pinnedCRDSources = []struct {
	module, version, sum string
	path                 string // inside the module
}{
	{"knative.dev/eventing", "v0.50.0", "h1:4GSn7yyMLgpGUqU0vZjcyFKK0vSi3TtZXPVzb7HW7Ds=", "config/core/resources/pingsource.yaml"},
}

// CRDPaths returns the files and directories holding the CRDs to install:
// knapp's own, Knative Serving's, Istio's and Argo Workflows', and Knative
// Eventing's PingSource. Third-party CRDs are read from the Go module cache
// so they always match the Go types compiled into knapp (or, for the pinned
// ones, the fields knapp declares).
func CRDPaths() ([]string, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(crdSources)+len(pinnedCRDSources))
	for _, src := range crdSources {
		dir := root
		if src.module != "" {
			if dir, err = moduleDir(root, src.module); err != nil {
				return nil, err
			}
		}
		p := filepath.Join(dir, filepath.FromSlash(src.path))
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("CRDs of %s: %w", src.module, err)
		}
		paths = append(paths, p)
	}
	for _, src := range pinnedCRDSources {
		dir, err := pinnedModuleDir(root, src.module, src.version, src.sum)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, filepath.FromSlash(src.path))
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("CRDs of %s@%s: %w", src.module, src.version, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// moduleDir returns where the Go module cache holds the version of mod that
// the module at root builds with, downloading it if it is not there yet
// (go list leaves Dir empty for a module not in the cache).
func moduleDir(root, mod string) (string, error) {
	dir, err := goListDir(root, mod)
	if err != nil || dir != "" {
		return dir, err
	}
	if _, err := goCmd(root, "mod", "download", mod); err != nil {
		return "", err
	}
	dir, err = goListDir(root, mod)
	if err == nil && dir == "" {
		err = fmt.Errorf("go list -m %s: no directory after go mod download", mod)
	}
	return dir, err
}

// pinnedModuleDir returns where the Go module cache holds mod at version,
// a module go.mod does not require, downloading it if it is not there yet;
// go.mod and go.sum stay as they are. The module's hash must be sum.
func pinnedModuleDir(root, mod, version, sum string) (string, error) {
	out, err := goCmd(root, "mod", "download", "-json", mod+"@"+version)
	if err != nil {
		return "", err
	}
	var m struct{ Dir, Sum, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("go mod download -json %s@%s: %w", mod, version, err)
	}
	switch {
	case m.Error != "":
		return "", fmt.Errorf("go mod download %s@%s: %s", mod, version, m.Error)
	case m.Sum != sum:
		return "", fmt.Errorf("go mod download %s@%s: module hash %s, want %s", mod, version, m.Sum, sum)
	case m.Dir == "":
		return "", fmt.Errorf("go mod download %s@%s: no directory", mod, version)
	}
	return m.Dir, nil
}

func goListDir(root, mod string) (string, error) {
	out, err := goCmd(root, "list", "-m", "-json", mod)
	if err != nil {
		return "", err
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("go list -m -json %s: %w", mod, err)
	}
	return m.Dir, nil
}

func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
