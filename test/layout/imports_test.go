// Package layout keeps the packages' import graph as the README draws it:
// api <- pkg (builders, platform) <- controllers and webhooks, with no
// import between webhooks and controllers, so that every rule of the App
// lives in api and the webhooks never depend on the reconciler.
package layout

import (
	"os/exec"
	"strings"
	"testing"

	"knapp.dev/knapp/test/testenv"
)

const module = "knapp.dev/knapp/"

// deps lists the knapp packages that the packages of pattern import,
// directly or not (go list -deps, tests left out).
func deps(t *testing.T, pattern string) []string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pattern)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pattern, err)
	}
	var own []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, module) {
			own = append(own, strings.TrimPrefix(p, module))
		}
	}
	return own
}

func TestImportGraph(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		// forbidden are prefixes of the packages it must not import.
		forbidden []string
	}{
		{"./api/...", []string{"pkg/", "controllers/", "webhooks/", "cmd/", "test/"}},
		{"./pkg/...", []string{"controllers/", "webhooks/", "cmd/", "test/"}},
		{"./webhooks/...", []string{"controllers/", "cmd/", "test/"}},
		{"./controllers/...", []string{"webhooks/", "cmd/", "test/"}},
	} {
		for _, dep := range deps(t, tc.pattern) {
			for _, f := range tc.forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s imports %s (nothing under %s may be)", tc.pattern, dep, f)
				}
			}
		}
	}
}
