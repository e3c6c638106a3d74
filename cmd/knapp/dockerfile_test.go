package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfileCopiesEverySourceDirectory: the image build copies only
// some directories (for its layer cache); a package of the binary outside
// them would fail the build on a machine with Docker, which CI has not.
func TestDockerfileCopiesEverySourceDirectory(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	copied := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^COPY ([a-z]+)/ `).FindAllStringSubmatch(string(data), -1) {
		copied[m[1]] = true
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		rel, ok := strings.CutPrefix(pkg, "knapp.dev/knapp/")
		if !ok {
			continue
		}
		if dir, _, _ := strings.Cut(rel, "/"); !copied[dir] {
			t.Errorf("package %s is in the binary, but the Dockerfile does not COPY %s/", pkg, dir)
		}
	}
}
