// Package chart tests the Helm chart charts/knapp with Helm's own packages:
// the code `helm lint` and `helm template` run, strict decoding of every
// rendered object into its Go type, the chart against config/ (what
// controller-gen makes of the code), and, with a control plane, an install
// on a real kube-apiserver whose RBAC is then checked as the chart's
// ServiceAccount.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/test/testenv"
)

// namespace is the release namespace the tests render into; not
// knapp-system, so that anything hard-wired to the default shows.
const (
	namespace   = "platform-knapp"
	releaseName = "knapp"
)

// kubeVersion is the Kubernetes version the chart is rendered for: the
// control plane's (test/controlplane), inside Chart.yaml's kubeVersion.
var kubeVersion = &chartutil.KubeVersion{Version: "v1.35.4", Major: "1", Minor: "35"}

// repoPath is a path in the repository.
func repoPath(tb testing.TB, elem ...string) string {
	tb.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

func chartDir(tb testing.TB) string { return repoPath(tb, "charts", "knapp") }

func loadChart(tb testing.TB) *chart.Chart {
	tb.Helper()
	c, err := loader.Load(chartDir(tb))
	if err != nil {
		tb.Fatalf("loading the chart: %v", err)
	}
	return c
}

// values parses YAML values as `helm -f` would.
func values(tb testing.TB, doc string) map[string]any {
	tb.Helper()
	v, err := chartutil.ReadValues([]byte(doc))
	if err != nil {
		tb.Fatalf("values %q: %v", doc, err)
	}
	return v.AsMap()
}

// object is one rendered document: its text (for strict decoding) and
// its parse, with the template it came from.
type object struct {
	*unstructured.Unstructured
	Source string
	Raw    []byte
}

func (o object) String() string {
	return fmt.Sprintf("%s %s (%s)", o.GetKind(), o.GetName(), o.Source)
}

// rendered is a chart rendered as `helm template` renders it.
type rendered struct {
	Objects []object
	Notes   string
}

// renderValues renders the chart with these values in namespace, through
// the action `helm template` runs (a client-only dry-run Install): schema
// validation, kubeVersion check, templates and NOTES.txt.
func renderValues(tb testing.TB, ns string, vals map[string]any) (rendered, error) {
	tb.Helper()
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun, install.ClientOnly, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = releaseName, ns
	install.KubeVersion = kubeVersion
	rel, err := install.Run(loadChart(tb), vals)
	if err != nil {
		return rendered{}, err
	}
	objs, err := parseManifest(rel.Manifest)
	return rendered{Objects: objs, Notes: rel.Info.Notes}, err
}

// render renders with values given as YAML documents, later ones winning
// as with several `helm -f` files, failing the test on an error.
func render(tb testing.TB, docs ...string) rendered {
	tb.Helper()
	vals := map[string]any{}
	for _, doc := range docs {
		vals = chartutil.CoalesceTables(values(tb, doc), vals)
	}
	r, err := renderValues(tb, namespace, vals)
	if err != nil {
		tb.Fatalf("rendering with %q: %v", docs, err)
	}
	return r
}

var sourceLine = regexp.MustCompile(`(?m)^# Source: (\S+)`)

func parseManifest(manifest string) ([]object, error) {
	var objs []object
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(manifest, -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		o := object{Unstructured: &unstructured.Unstructured{}, Raw: []byte(doc)}
		if m := sourceLine.FindStringSubmatch(doc); m != nil {
			o.Source = m[1]
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(o.Raw), 4096)
		if err := dec.Decode(&o.Object); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", o.Source, err)
		}
		if o.Object == nil {
			continue // a template that rendered only comments
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// Find returns the object of that kind and name (in namespace ns, if
// given).
func (r rendered) Find(kind, name string, ns ...string) (object, bool) {
	for _, o := range r.Objects {
		if o.GetKind() == kind && o.GetName() == name && (len(ns) == 0 || o.GetNamespace() == ns[0]) {
			return o, true
		}
	}
	return object{}, false
}

// Get returns the object of that kind and name (in namespace ns, if given),
// failing if there is none.
func (r rendered) Get(tb testing.TB, kind, name string, ns ...string) object {
	tb.Helper()
	o, ok := r.Find(kind, name, ns...)
	if !ok {
		tb.Fatalf("no %s %s rendered; have %v", kind, name, r.Names())
	}
	return o
}

// Kind returns the objects of a kind.
func (r rendered) Kind(kind string) []object {
	var out []object
	for _, o := range r.Objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// Names lists "Kind/namespace/name" of every object, for messages and
// set comparisons.
func (r rendered) Names() []string {
	names := make([]string, 0, len(r.Objects))
	for _, o := range r.Objects {
		names = append(names, key(o.Unstructured))
	}
	return names
}

func key(u *unstructured.Unstructured) string {
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}

// decodeStrict decodes the object's rendered text into out, refusing
// unknown and duplicate fields.
func decodeStrict(tb testing.TB, o object, out any) {
	tb.Helper()
	if err := yaml.UnmarshalStrict(o.Raw, out); err != nil {
		tb.Fatalf("%s does not decode strictly into %T: %v", o, out, err)
	}
}

// decodeFile decodes the documents of a file into new Ts, strictly.
func decodeFile[T any](tb testing.TB, path string) []*T {
	tb.Helper()
	objs, err := parseManifestFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]*T, 0, len(objs))
	for _, o := range objs {
		v := new(T)
		decodeStrict(tb, o, v)
		out = append(out, v)
	}
	return out
}

func parseManifestFile(path string) ([]object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseManifest(string(data))
}

func repoRootErr() (string, error) { return testenv.RepoRoot() }
