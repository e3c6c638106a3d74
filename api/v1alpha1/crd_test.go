package v1alpha1_test

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// The generated CRD is what `kubectl explain` and `kubectl get` read; these
// tests keep it useful to someone who has only kubectl.

func loadCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile("../../config/crd/bases/knapp.dev_apps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("want one version, got %d", len(crd.Spec.Versions))
	}
	return crd
}

// TestEveryFieldIsExplained walks the schema: every field a user can write
// or read has a description for `kubectl explain app.<path>`.
func TestEveryFieldIsExplained(t *testing.T) {
	schema := loadCRD(t).Spec.Versions[0].Schema.OpenAPIV3Schema
	var missing []string
	var walk func(s *apiextensionsv1.JSONSchemaProps, path string)
	walk = func(s *apiextensionsv1.JSONSchemaProps, path string) {
		for name, child := range s.Properties {
			p := path + "." + name
			// metadata is ObjectMeta; the apiserver publishes its own docs.
			if p == ".metadata" {
				continue
			}
			if child.Description == "" {
				missing = append(missing, p)
			}
			walk(&child, p)
		}
		if s.Items != nil && s.Items.Schema != nil {
			walk(s.Items.Schema, path+"[]")
		}
		if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
			walk(s.AdditionalProperties.Schema, path+"{}")
		}
	}
	walk(schema, "")
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("fields without a description (add a doc comment to the Go field): %v", missing)
	}
}

// TestPrinterColumnsAnswerTheUsualQuestions: is it up, where, which
// version, which canary.
func TestPrinterColumnsAnswerTheUsualQuestions(t *testing.T) {
	crd := loadCRD(t)
	got := map[string]string{}
	for _, c := range crd.Spec.Versions[0].AdditionalPrinterColumns {
		got[c.Name] = c.JSONPath
	}
	want := map[string]string{
		"URL":     ".status.url",
		"Ready":   `.status.conditions[?(@.type=="Ready")].status`,
		"Reason":  `.status.conditions[?(@.type=="Ready")].reason`,
		"Stable":  ".status.stableRevision",
		"Canary":  ".status.canaryRevision",
		"Canary%": ".status.canaryPercent",
		"Latest":  ".status.latestReadyRevisionName",
	}
	for name, path := range want {
		if got[name] != path {
			t.Errorf("column %s: JSONPath %q, want %q", name, got[name], path)
		}
	}
	// "app" and "apps" are Argo CD's short names for its Applications;
	// kubectl prefers an exact resource name, but a short name of ours
	// must not be one of them.
	for _, short := range crd.Spec.Names.ShortNames {
		if slices.Contains([]string{"app", "apps", "application", "applications", "ksvc", "kservice", "vs", "wf", "cwf"}, short) {
			t.Errorf("short name %q clashes with a resource platform teams already run", short)
		}
	}
	if !slices.Contains(crd.Spec.Names.ShortNames, "knapp") {
		t.Errorf("short names %v, want knapp", crd.Spec.Names.ShortNames)
	}
}

// kubectl apply (client-side, as Argo CD applies by default) keeps the
// whole object as compact JSON in the annotation
// kubectl.kubernetes.io/last-applied-configuration, and the apiserver
// refuses annotations above 256 KiB in all: a CRD past that installs only
// with server-side apply or create.
func TestCRDFitsKubectlApply(t *testing.T) {
	data, err := json.Marshal(loadCRD(t))
	if err != nil {
		t.Fatal(err)
	}
	const limit = 256 << 10
	t.Logf("the CRD is %d bytes as JSON, %.0f%% of kubectl apply's %d", len(data), 100*float64(len(data))/limit, limit)
	// A tenth kept free for the annotation's other keys and future fields.
	if len(data) > limit*9/10 {
		t.Errorf("the CRD is %d bytes as JSON: kubectl apply stores it in an annotation of at most %d bytes", len(data), limit)
	}
}

// kubernetesTypes are fields of Kubernetes' own types, which the README's
// App reference documents as a whole (their own fields are Kubernetes').
var kubernetesTypes = map[string]bool{
	"env": true, "envFrom": true, "ports": true, "readinessProbe": true, "livenessProbe": true, "startupProbe": true,
	"resources": true, "volumeMounts": true, "securityContext": true, "labels": true, "annotations": true,
	"configMap": true, "secret": true, "projected": true, "emptyDir": true, "persistentVolumeClaim": true,
	"imagePullSecrets": true, "nodeSelector": true, "tolerations": true, "affinity": true,
	"topologySpreadConstraints": true, "dnsConfig": true, "hostAliases": true, "match": true,
}

// TestREADMEDocumentsEveryField: the README's App reference has a row for
// every field of spec, by its path, and none for a field that is gone.
func TestREADMEDocumentsEveryField(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, ref, ok := strings.Cut(string(readme), "### App reference\n")
	if !ok {
		t.Fatal("README.md has no section ### App reference")
	}
	ref, _, _ = strings.Cut(ref, "\n#")
	rows := map[string]bool{}
	for _, line := range strings.Split(ref, "\n") {
		if path, ok := strings.CutPrefix(line, "| `"); ok {
			path, _, _ = strings.Cut(path, "`")
			rows[path] = true
		}
	}
	var fields []string
	var walk func(s apiextensionsv1.JSONSchemaProps, path string)
	walk = func(s apiextensionsv1.JSONSchemaProps, path string) {
		if kubernetesTypes[path[strings.LastIndex(path, ".")+1:]] {
			fields = append(fields, path)
			return
		}
		if s.Items != nil && s.Items.Schema != nil {
			path += "[]"
			s = *s.Items.Schema
		}
		if len(s.Properties) == 0 {
			fields = append(fields, path)
			return
		}
		for name, child := range s.Properties {
			p := name
			if path != "" {
				p = path + "." + name
			}
			walk(child, p)
		}
	}
	walk(loadCRD(t).Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"], "")
	sort.Strings(fields)
	for _, f := range fields {
		if !rows[strings.TrimSuffix(f, "[]")] {
			t.Errorf("README's App reference has no row for %s", f)
		}
		delete(rows, strings.TrimSuffix(f, "[]"))
	}
	for r := range rows {
		t.Errorf("README's App reference documents %s, which the CRD does not have", r)
	}
}
