package knativedomain

import (
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/pkg/platform"
)

var updateGolden = flag.Bool("update", false, "rewrite the snippets in config/knative")

// snippetDir holds the shipped snippets, relative to this package.
var snippetDir = filepath.Join("..", "..", "config", "knative")

// The files in config/knative are Snippets(platform.Default()), header
// included; go test ./pkg/knativedomain -update rewrites them.
func TestShippedSnippets(t *testing.T) {
	domainYAML, networkYAML, err := Snippets(platform.Default())
	if err != nil {
		t.Fatal(err)
	}
	cd, cn := ConfigMaps(platform.Default())
	for _, f := range []struct {
		file string
		got  []byte
		cm   *corev1.ConfigMap
	}{
		{"config-domain.yaml", domainYAML, cd},
		{"config-network.yaml", networkYAML, cn},
	} {
		path := filepath.Join(snippetDir, f.file)
		if *updateGolden {
			if err := os.WriteFile(path, f.got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("reading %s (go test ./pkg/knativedomain -update creates it): %v", path, err)
		}
		if string(f.got) != string(want) {
			t.Errorf("%s differs from knativedomain.Snippets; run go test ./pkg/knativedomain -update and review the diff.\n--- got:\n%s", path, f.got)
		}

		// The YAML reads back as the builder's config map.
		var read corev1.ConfigMap
		if err := yaml.UnmarshalStrict(f.got, &read); err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		if read.TypeMeta != f.cm.TypeMeta || read.Name != f.cm.Name || read.Namespace != f.cm.Namespace || !maps.Equal(read.Data, f.cm.Data) {
			t.Errorf("%s reads back as %+v, want %+v", f.file, read, f.cm)
		}

		// The header's kubectl patch command merges exactly the data keys.
		m := patchCommand.FindSubmatch(f.got)
		if m == nil {
			t.Fatalf("%s: no kubectl patch command in the header", f.file)
		}
		if string(m[1]) != f.cm.Namespace || string(m[2]) != f.cm.Name {
			t.Errorf("%s: the command patches %s/%s", f.file, m[1], m[2])
		}
		var patch struct{ Data map[string]string }
		if err := json.Unmarshal(m[3], &patch); err != nil || !maps.Equal(patch.Data, f.cm.Data) {
			t.Errorf("%s: the patch %s gives data %q (%v), want %q", f.file, m[3], patch.Data, err, f.cm.Data)
		}
	}
}

var patchCommand = regexp.MustCompile(`(?m)^#   kubectl -n (\S+) patch configmap (\S+) --type merge -p '([^']*)'$`)
