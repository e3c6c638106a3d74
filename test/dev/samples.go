package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/test/testenv"
)

// fieldOwner names the dev environment as the owner of the fields it applies.
const fieldOwner = "knapp-dev"

// sample is one object from a sample file, with where it came from for
// error messages.
type sample struct {
	obj  *unstructured.Unstructured
	file string
}

// readSamples reads every object of every YAML file in dir, in file order.
func readSamples(dir string) ([]sample, error) {
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no sample YAML in %s", dir)
	}
	var out []sample
	for _, f := range files {
		objs, err := testenv.ReadObjects(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, o := range objs {
			out = append(out, sample{obj: o, file: f})
		}
	}
	return out, nil
}

func isNamespace(u *unstructured.Unstructured) bool {
	return u.GetAPIVersion() == "v1" && u.GetKind() == "Namespace"
}

// createNamespaces applies the samples' Namespace objects, with their labels
// (such as knapp.dev/environment), and creates any other namespace a sample
// names. Namespaced samples without a namespace go to default, as kubectl
// would put them.
func createNamespaces(ctx context.Context, c client.Client, samples []sample) error {
	for _, s := range samples {
		if isNamespace(s.obj) {
			if err := apply(ctx, c, s); err != nil {
				return err
			}
		}
	}
	for _, s := range samples {
		if isNamespace(s.obj) {
			continue
		}
		namespaced, err := c.IsObjectNamespaced(s.obj)
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", s.file, s.obj.GetKind(), s.obj.GetName(), err)
		}
		if !namespaced {
			continue
		}
		if s.obj.GetNamespace() == "" {
			s.obj.SetNamespace(metav1.NamespaceDefault)
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.obj.GetNamespace()}}
		if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
		}
	}
	return nil
}

// applySamples server-side applies every sample but the Namespaces, which
// createNamespaces applied first. A sample the apiserver refuses does not
// stop the others; it is left out of the result and reported in the error.
func applySamples(ctx context.Context, c client.Client, samples []sample) ([]sample, error) {
	var applied []sample
	var errs []error
	for _, s := range samples {
		if isNamespace(s.obj) {
			continue
		}
		if err := apply(ctx, c, s); err != nil {
			fmt.Fprintln(os.Stderr, "dev:", err)
			errs = append(errs, err)
			continue
		}
		applied = append(applied, s)
	}
	return applied, errors.Join(errs...)
}

func apply(ctx context.Context, c client.Client, s sample) error {
	step("applying %s %s (%s)", s.obj.GetKind(), objectKey(s.obj), filepath.Base(s.file))
	err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(s.obj.DeepCopy()),
		client.FieldOwner(fieldOwner), client.ForceOwnership)
	if err != nil {
		return fmt.Errorf("%s: applying %s %s: %w", s.file, s.obj.GetKind(), objectKey(s.obj), err)
	}
	return nil
}

func objectKey(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetName()
	}
	return u.GetNamespace() + "/" + u.GetName()
}

// sampleApps lists the samples' Apps.
func sampleApps(samples []sample) []types.NamespacedName {
	var apps []types.NamespacedName
	for _, a := range sampleAppObjects(samples) {
		apps = append(apps, types.NamespacedName{Namespace: a.GetNamespace(), Name: a.GetName()})
	}
	return apps
}

// sampleAppObjects is the samples' Apps as read.
func sampleAppObjects(samples []sample) []*unstructured.Unstructured {
	var apps []*unstructured.Unstructured
	for _, s := range samples {
		if s.obj.GroupVersionKind().GroupKind() == v1alpha1.GroupVersion.WithKind("App").GroupKind() {
			apps = append(apps, s.obj)
		}
	}
	return apps
}

// applyPlatform applies what a platform team installs beside knapp and the
// samples need: the default build template (config/build/knapp-build.yaml;
// no Argo controller runs it here, so builds stay Pending) and knapp's
// admission policies with their parameters (config/policy), so the dev user
// meets what a tenant meets.
func applyPlatform(ctx context.Context, c client.Client, root string) error {
	// The policies' parameters live in knapp's namespace.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "knapp-system"}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
	}
	policies, err := filepath.Glob(filepath.Join(root, "config", "policy", "*.yaml"))
	if err != nil {
		return err
	}
	for _, file := range append([]string{filepath.Join(root, "config", "build", "knapp-build.yaml")}, policies...) {
		objs, err := testenv.ReadObjects(file)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		for _, o := range objs {
			if err := apply(ctx, c, sample{obj: o, file: file}); err != nil {
				return err
			}
		}
	}
	return nil
}

// sampleImages are the image references and build repositories of the
// samples' Apps (Knative is told not to resolve their tags).
func sampleImages(samples []sample) []string {
	var images []string
	for _, a := range sampleAppObjects(samples) {
		for _, path := range [][]string{{"spec", "image"}, {"spec", "build", "imageRepository"}} {
			if ref, _, _ := unstructured.NestedString(a.Object, path...); ref != "" {
				images = append(images, ref)
			}
		}
	}
	return images
}
