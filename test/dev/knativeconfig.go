package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/pkg/knativedomain"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/testenv"
)

// knativeNamespace is Knative Serving's system namespace (SYSTEM_NAMESPACE),
// where its controller reads its config maps; knapp's default
// KnativeServingNamespace.
const knativeNamespace = "knative-serving"

// knativeConfigFiles are Knative's namespace and config maps as the release
// ships them, read from the module cache so they match the controller built
// from the same version (their data is only _example: Knative's defaults,
// the same knapp and the test webhook assume). config-network lives in
// knative.dev/networking.
var knativeConfigFiles = []struct{ module, glob string }{
	{"knative.dev/serving", "config/core/100-namespace.yaml"},
	{"knative.dev/serving", "config/core/configmaps/*.yaml"},
	{"knative.dev/networking", "config/config-network.yaml"},
}

// defaultSkippedRegistries are Knative's defaults for
// registries-skipping-tag-resolving, which setting the key replaces.
var defaultSkippedRegistries = []string{"kind.local", "ko.local", "dev.local"}

// publicRegistries are skipped too, so that an image patched in by hand
// from a public registry does not make the controller reach out either.
var publicRegistries = []string{"index.docker.io", "gcr.io", "ghcr.io", "quay.io", "registry.k8s.io", "mcr.microsoft.com", "public.ecr.aws"}

// configureKnative creates knative-serving and Knative's config maps, with
// dev's settings merged in:
//   - config-deployment: a queue-proxy image (required; no pod ever runs
//     here, so it is never pulled), and tag resolution skipped for the
//     samples' registries: otherwise the revision controller asks the
//     registry for each tag's digest, which dev cannot reach, and the
//     Revision fails with ContainerMissing.
//   - config-domain and config-network: the platform's domain, as an install
//     of knapp merges them (config/knative), so Routes get knapp's hosts.
func configureKnative(ctx context.Context, c client.Client, samples []sample) error {
	objs, err := knativeConfigObjects()
	if err != nil {
		return err
	}
	extra := map[string]map[string]string{
		"config-deployment": {
			"queue-sidecar-image":               "gcr.io/knative-releases/knative.dev/serving/cmd/queue:v0.50.0",
			"registries-skipping-tag-resolving": strings.Join(skippedRegistries(samples), ","),
		},
	}
	domain, network := knativedomain.ConfigMaps(platform.Default())
	extra[domain.Name], extra[network.Name] = domain.Data, network.Data

	step("configuring Knative Serving: namespace %s, %d config maps", knativeNamespace, len(objs)-1)
	for _, o := range objs {
		for k, v := range extra[o.GetName()] {
			if err := unstructured.SetNestedField(o.Object, v, "data", k); err != nil {
				return err
			}
		}
		err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(fieldOwner), client.ForceOwnership)
		if err != nil {
			return fmt.Errorf("applying Knative's %s %s: %w", o.GetKind(), objectKey(o), err)
		}
	}
	return nil
}

func knativeConfigObjects() ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, src := range knativeConfigFiles {
		dir, err := testenv.ModuleDir(src.module)
		if err != nil {
			return nil, err
		}
		files, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(src.glob)))
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("no Knative config in %s/%s (%v)", dir, src.glob, err)
		}
		for _, f := range files {
			o, err := testenv.ReadObjects(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			objs = append(objs, o...)
		}
	}
	return objs, nil
}

// skippedRegistries are the registries whose tags Knative is not to
// resolve: its defaults, the public ones, and those of the samples' images
// (spec.image and spec.build.imageRepository), as Knative names them.
func skippedRegistries(samples []sample) []string {
	set := map[string]bool{}
	for _, r := range append(append([]string{}, defaultSkippedRegistries...), publicRegistries...) {
		set[r] = true
	}
	for _, a := range sampleAppObjects(samples) {
		for _, path := range [][]string{{"spec", "image"}, {"spec", "build", "imageRepository"}} {
			ref, _, _ := unstructured.NestedString(a.Object, path...)
			if repo, err := name.NewRepository(repositoryOf(ref), name.WeakValidation); ref != "" && err == nil {
				set[repo.RegistryStr()] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// repositoryOf strips a tag or digest from an image reference.
func repositoryOf(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}
