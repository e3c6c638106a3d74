package webhooks_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/test/testenv"
)

// Every sample App, and every release patch applied to the shop sample,
// passes knapp's App webhook and the CRD's schema on the real apiserver:
// what the README tells a newcomer to apply is admitted.
func TestSamplesAreAdmitted(t *testing.T) {
	t.Parallel()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	samples := filepath.Join(root, "config", "samples")
	files, err := filepath.Glob(filepath.Join(samples, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	ns := newNamespace(t, nil)
	var shop *unstructured.Unstructured
	for _, file := range files {
		objs, err := testenv.ReadObjects(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range objs {
			if u.GetKind() != "App" {
				continue
			}
			u.SetNamespace(ns) // the samples' namespaces are make dev's
			if err := k8s.Create(context.Background(), u); err != nil {
				t.Errorf("%s: App %s refused: %v", filepath.Base(file), u.GetName(), err)
			}
			if u.GetName() == "shop" {
				shop = u
			}
		}
	}
	if shop == nil {
		t.Fatal("no shop sample to apply the release patches to")
	}
	// The release patches need a stable revision to name.
	stable := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"release":{"stable":"shop-0123456789"}}}`))
	if err := k8s.Patch(context.Background(), shop, stable); err != nil {
		t.Fatalf("setting release.stable: %v", err)
	}
	patches, err := filepath.Glob(filepath.Join(samples, "release", "*.yaml"))
	if err != nil || len(patches) < 3 {
		t.Fatalf("release samples %v: %v", patches, err)
	}
	for _, file := range patches {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		patch, err := yaml.YAMLToJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := k8s.Patch(context.Background(), shop, client.RawPatch(types.MergePatchType, patch)); err != nil {
			t.Errorf("%s refused: %v", filepath.Base(file), err)
		}
	}
}
