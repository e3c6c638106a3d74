package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	istiov1 "istio.io/client-go/pkg/apis/networking/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
	"knapp.dev/knapp/test/testenv"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

func samplesDir(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "config", "samples")
}

// readYAMLObjects reads every object of a multi-document YAML file.
func readYAMLObjects(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := testenv.ReadObjects(file)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// Every sample App (config/samples, what `make dev` applies) is accepted by
// the real apiserver and reconciled by knapp for its generation, with no
// part failing: each is Deploying (no Knative runs here) or Ready.
func TestSamplesAreReconciled(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(samplesDir(t), "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	sort.Strings(files)
	installBuildTemplate(t)
	var apps []types.NamespacedName
	for _, file := range files {
		for _, u := range readYAMLObjects(t, file) {
			if err := k8s.Create(context.Background(), u); err != nil {
				t.Fatalf("%s: %s %s: %v", filepath.Base(file), u.GetKind(), u.GetName(), err)
			}
			if u.GetKind() == "App" {
				apps = append(apps, types.NamespacedName{Namespace: u.GetNamespace(), Name: u.GetName()})
			}
		}
	}
	if len(apps) < 4 {
		t.Fatalf("want an App per sample file, found %v", apps)
	}
	for _, key := range apps {
		got := waitForApp(t, key, func(a *v1alpha1.App) error {
			if a.Status.ObservedGeneration != a.Generation {
				return fmt.Errorf("generation %d not observed", a.Generation)
			}
			return nil
		})
		for _, c := range got.Status.Conditions {
			if c.Status == metav1.ConditionFalse {
				t.Errorf("sample App %s: %s is False: %s: %s", key, c.Type, c.Reason, c.Message)
			}
		}
		if got.Spec.Build == nil || got.Spec.Image != "" {
			waitForService(t, key, anyService)
		}
	}
	// Each feature a sample shows reached its child.
	api := &v1alpha1.App{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: "team-c", Name: "api"}, api); err != nil {
		t.Fatal(err)
	}
	waitForBuilds(t, api, 1)
	reports := &v1alpha1.App{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: "team-c", Name: "reports"}, reports); err != nil {
		t.Fatal(err)
	}
	// The private build started: its deploy key passed knapp's check.
	if p := waitForBuilds(t, reports, 1)[0].Spec.Arguments.GetParameterByName(resources.BuildParamGitSecret); p == nil || p.Value.String() != "reports-deploy-key" {
		t.Errorf("reports' build has git-secret %v, want reports-deploy-key", p)
	}
	web := waitForService(t, client.ObjectKey{Namespace: "team-b", Name: "web"}, anyService)
	if web.Spec.Template.Labels[v1alpha1.LabelLogs] != "true" {
		t.Errorf("web's revision template lacks %s=true, the pod webhook's selector", v1alpha1.LabelLogs)
	}
}

// mergePatchFile turns a YAML merge patch into the JSON the API takes.
func mergePatchFile(t *testing.T, file string) client.Patch {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return client.RawPatch(types.MergePatchType, patch)
}

// The release samples (config/samples/release, merge patches the README's
// walk-through applies with kubectl patch) do what their comments say on an
// App with a stable revision and a newer one.
func TestReleaseSamples(t *testing.T) {
	t.Parallel()
	app, first := readyApp(t, nil)
	key := client.ObjectKeyFromObject(app)
	stable := first.Spec.Template.Name
	updateApp(t, key, func(a *v1alpha1.App) {
		a.Spec.Image = "registry.example.com/shop:2.0.0"
		a.Spec.Release = &v1alpha1.Release{Stable: stable}
	})
	second := waitForService(t, key, func(s *servingv1.Service) error {
		if s.Spec.Template.Name == stable {
			return errors.New("no new revision yet")
		}
		return nil
	})
	actAsKnative(t, second)
	canary := second.Spec.Template.Name
	dir := filepath.Join(samplesDir(t), "release")

	apply := func(file string) {
		t.Helper()
		if err := k8s.Patch(context.Background(), &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace}}, mergePatchFile(t, filepath.Join(dir, file))); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	routesTo := func(want ...string) func(*istiov1.VirtualService) error {
		return func(vs *istiov1.VirtualService) error {
			var got []string
			for _, r := range vs.Spec.Http {
				got = append(got, r.Rewrite.GetAuthority())
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				return fmt.Errorf("routes to %v, want %v", got, want)
			}
			return nil
		}
	}
	canaryHost := "canary-shop." + key.Namespace + ".svc.cluster.local"
	stableHost := "shop." + key.Namespace + ".svc.cluster.local"

	// Knative reports the Service's traffic once it has routed it.
	playKnative := func(check func(*servingv1.Service) error) {
		t.Helper()
		setKnativeStatus(t, key, knativeReady)
		actAsKnative(t, waitForService(t, key, check))
	}

	apply("canary-header.yaml")
	vs := waitForVirtualService(t, routesKey(app), routesTo(canaryHost, stableHost))
	playKnative(func(s *servingv1.Service) error { return trafficIs(s, stable, 100, "", 0) })
	if h := vs.Spec.Http[0].Match[0].Headers["x-canary"]; h.GetExact() != "true" {
		t.Errorf("header rule %v, want x-canary exact true", vs.Spec.Http[0].Match)
	}
	waitForApp(t, key, func(a *v1alpha1.App) error {
		if a.Status.CanaryRevision != canary || a.Status.StableRevision != stable {
			return fmt.Errorf("stable %q canary %q", a.Status.StableRevision, a.Status.CanaryRevision)
		}
		return nil
	})

	apply("canary-path-cookie.yaml")
	vs = waitForVirtualService(t, routesKey(app), routesTo(canaryHost, canaryHost, stableHost))
	if vs.Spec.Http[0].Match[0].Uri.GetPrefix() != "/v2/" || vs.Spec.Http[0].Rewrite.GetUri() != "/" {
		t.Errorf("path rule %v rewrite %v", vs.Spec.Http[0].Match, vs.Spec.Http[0].Rewrite)
	}
	playKnative(func(s *servingv1.Service) error {
		return trafficIs(s, stable, 90, "", 10) // "": the canary follows the latest revision
	})

	apply("rollback.yaml")
	playKnative(func(s *servingv1.Service) error { return trafficIs(s, stable, 100, "", -1) })
	waitForApp(t, key, func(a *v1alpha1.App) error {
		if a.Status.CanaryRevision != "" {
			return fmt.Errorf("canary %q still reported", a.Status.CanaryRevision)
		}
		return nil
	})
}
