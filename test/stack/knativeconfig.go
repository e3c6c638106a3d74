package stack

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

// ConfigureKnative creates knative-serving and Knative's config maps, with
// these settings merged in (field owner fieldOwner):
//   - config-deployment: a queue-proxy image (required; no pod ever runs
//     Knative's data plane here, so it is never pulled), and tag resolution
//     skipped for the registries of images (and the public ones): otherwise
//     the revision controller asks each registry for the tag's digest, which
//     a local machine cannot reach, and the Revision fails with
//     ContainerMissing.
//   - config-domain and config-network: the platform's domain, as an
//     install of knapp merges them (config/knative), so Routes get knapp's
//     hosts.
func ConfigureKnative(ctx context.Context, c client.Client, fieldOwner string, images []string) error {
	objs, err := knativeConfigObjects()
	if err != nil {
		return err
	}
	extra := map[string]map[string]string{
		"config-deployment": {
			"queue-sidecar-image":               "gcr.io/knative-releases/knative.dev/serving/cmd/queue:v0.50.0",
			"registries-skipping-tag-resolving": strings.Join(skippedRegistries(images), ","),
		},
	}
	domain, network := knativedomain.ConfigMaps(platform.Default())
	extra[domain.Name], extra[network.Name] = domain.Data, network.Data

	Progress("configuring Knative Serving: namespace %s, %d config maps", KnativeNamespace, len(objs)-1)
	for _, o := range objs {
		for k, v := range extra[o.GetName()] {
			if err := unstructured.SetNestedField(o.Object, v, "data", k); err != nil {
				return err
			}
		}
		err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(fieldOwner), client.ForceOwnership)
		if err != nil {
			return fmt.Errorf("applying Knative's %s %s: %w", o.GetKind(), o.GetName(), err)
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
// resolve: its defaults, the public ones, and those of images (image
// references or repositories), as Knative names them.
func skippedRegistries(images []string) []string {
	set := map[string]bool{}
	for _, r := range append(append([]string{}, defaultSkippedRegistries...), publicRegistries...) {
		set[r] = true
	}
	for _, ref := range images {
		if repo, err := name.NewRepository(repositoryOf(ref), name.WeakValidation); ref != "" && err == nil {
			set[repo.RegistryStr()] = true
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
