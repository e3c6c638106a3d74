package testenv

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Knative Serving's own controller (which `make dev` runs; the tests do not)
// watches kinds that knapp never writes: networking.internal.knative.dev's
// Certificate, Ingress, ServerlessService and ClusterDomainClaim, and
// caching.internal.knative.dev's Image. Without their CRDs its informers
// never sync and it reconciles nothing.
var knativeControllerCRDSources = []struct {
	module string
	path   string // inside the module
}{
	{"knative.dev/networking", "config/certificate.yaml"},
	{"knative.dev/networking", "config/ingress.yaml"},
	{"knative.dev/networking", "config/serverlessservice.yaml"},
	{"knative.dev/networking", "config/domain-claim.yaml"},
}

// knative.dev/caching is not in go.mod (knapp has no use for its types), so
// its Image CRD comes from the version knative.dev/serving v0.50.0 requires,
// checked against that version's go.sum hash; raise it with serving.
var knativeCachingCRD = struct{ module, version, sum, path string }{
	"knative.dev/caching", "v0.0.0-20260727161800-0edbf88bc267",
	"h1:kuc7HoQMvX4U2XVDqTtOSA/qfArcMtrkUsgLpnELFeU=", "config/image.yaml",
}

// KnativeControllerCRDPaths returns the CRD files that Knative Serving's
// controller needs on top of CRDPaths', read from the Go module cache. Pass
// them to Start with WithCRDPaths.
func KnativeControllerCRDPaths() ([]string, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, src := range knativeControllerCRDSources {
		dir, err := moduleDir(root, src.module)
		if err != nil {
			return nil, err
		}
		paths = append(paths, filepath.Join(dir, filepath.FromSlash(src.path)))
	}
	c := knativeCachingCRD
	dir, err := pinnedModuleDir(root, c.module, c.version, c.sum)
	if err != nil {
		return nil, err
	}
	paths = append(paths, filepath.Join(dir, filepath.FromSlash(c.path)))
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("CRDs for Knative's controller: %w", err)
		}
	}
	return paths, nil
}

// WithCRDPaths also installs the CRDs in these files or directories.
func WithCRDPaths(paths ...string) Option {
	return func(e *envtest.Environment) {
		e.CRDInstallOptions.Paths = append(e.CRDInstallOptions.Paths, paths...)
	}
}

// ModuleDir returns where the Go module cache holds the version of mod that
// knapp's go.mod selects, downloading it if need be.
func ModuleDir(mod string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return moduleDir(root, mod)
}
