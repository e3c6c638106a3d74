// An external test package: the property needs the App webhook
// (webhooks/appvalidation), which imports this package.
package resources_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	"knapp.dev/knapp/webhooks/appvalidation"
	servingconfig "knative.dev/serving/pkg/apis/config"
)

// FuzzBuilders decodes the fuzz bytes as an App's spec and runs the builders
// as the reconciler does (controllers/app: builds, desired, routes, service,
// schedules), with the platform's default configuration. They never panic
// and refuse only with a SpecError naming a field. For an App the admission
// webhook admits (after its defaulting) under a Knative configuration (a
// default install's, or one that enables and raises what a cluster may:
// clusterLimits), no builder refuses it for InvalidSpec, the children's
// names are DNS labels, and Knative's own SetDefaults and Validate accept
// the Service under that configuration. Defaulting changes no Workflow or
// PingSource. Seeds are in testdata/fuzz/FuzzBuilders.
func FuzzBuilders(f *testing.F) {
	cfg := platform.Default()
	envs := []platform.Environment{{}}
	for _, n := range cfg.EnvironmentNames() {
		envs = append(envs, cfg.Environments[n])
	}
	defaultCfg, raisedCfg := knativeconfig.Default(), clusterLimits(f)

	f.Fuzz(func(t *testing.T, name string, specJSON []byte, envIndex uint8, built, holdsHost bool) {
		app := &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a", UID: "0b7f1c2e-1111-4222-8333-444455556666"}}
		if err := json.Unmarshal(specJSON, &app.Spec); err != nil {
			return
		}
		defaulted := app.DeepCopy()
		appvalidation.Default(defaulted)
		ctx := context.Background()
		admittedBy := map[*servingconfig.Config]bool{
			defaultCfg: len(appvalidation.Validate(ctx, defaultCfg, defaulted)) == 0,
			raisedCfg:  len(appvalidation.Validate(ctx, raisedCfg, defaulted)) == 0,
		}
		admitted := admittedBy[defaultCfg] || admittedBy[raisedCfg]
		env := envs[int(envIndex)%len(envs)]

		// Builds: the spec's Workflow, and its image when built.
		builtImage := ""
		if b := app.Spec.Build; b != nil {
			if errs := v1alpha1.ValidateBuild(b, field.NewPath("spec", "build")); len(errs) > 0 {
				if admitted {
					t.Fatalf("the webhook admits the App, the reconciler refuses its build: %v", errs.ToAggregate())
				}
			} else {
				trigger := resources.BuildTrigger{Revision: b.GitRevision(), Source: resources.BuildTriggerSpec}
				wf := resources.MakeBuildWorkflow(app, trigger, cfg)
				if other := resources.MakeBuildWorkflow(defaulted, trigger, cfg); !equality.Semantic.DeepEqual(wf, other) {
					t.Fatalf("defaulting changed the build Workflow:\n%+v\n%+v", wf, other)
				}
				if admitted {
					assertDNSLabel(t, "build Workflow", wf.Name)
				}
				if built {
					builtImage = succeededImage(t, wf, b.ImageRepository)
				}
			}
		}

		tmpl, err := resources.MakeRevisionTemplate(app, env, builtImage)
		if err != nil {
			assertSpecError(t, err, admitted, v1alpha1.ReasonWaitingForBuild)
			return
		}
		if !strings.HasPrefix(tmpl.Name, app.Name+"-") {
			t.Fatalf("revision %q does not start with %q", tmpl.Name, app.Name+"-")
		}
		known := sets.New(tmpl.Name, app.Name+"-00aaaaaaaa", app.Name+"-00bbbbbbbb")
		plan, err := resources.PlanRelease(app.Spec.Release, known)
		if err != nil {
			assertSpecError(t, err, admitted, v1alpha1.ReasonRevisionNotFound)
			return
		}
		routed := plan.Routed() && holdsHost
		if routed {
			vs := resources.MakeVirtualService(app, plan, cfg)
			if len(vs.Spec.Hosts) != 1 || len(vs.Spec.Http) != len(plan.Canary.Match)+1 {
				t.Fatalf("VirtualService hosts %q, %d routes for %d match rules", vs.Spec.Hosts, len(vs.Spec.Http), len(plan.Canary.Match))
			}
		}
		ksvc := resources.MakeKnativeService(app, tmpl, plan, resources.ServiceRouting{HoldsHost: holdsHost, ClusterLocal: routed})
		for cfg, admitted := range admittedBy {
			if _, err := resources.DefaultAndValidate(ctx, cfg, app, ksvc); err != nil && admitted {
				t.Fatalf("the webhook admits the App under a configuration and the builders accept it, but under it %v", err)
			}
		}

		if errs := v1alpha1.ValidateSchedules(app.Spec.Schedules, field.NewPath("spec", "schedules")); len(errs) > 0 {
			if admitted {
				t.Fatalf("the webhook admits the App, the reconciler refuses its schedules: %v", errs.ToAggregate())
			}
			return
		}
		seen := sets.New[string]()
		for i, s := range app.Spec.Schedules {
			ps := resources.MakePingSource(app, s)
			if other := resources.MakePingSource(defaulted, defaulted.Spec.Schedules[i]); !equality.Semantic.DeepEqual(ps, other) {
				t.Fatalf("defaulting changed PingSource %s:\n%+v\n%+v", ps.Name, ps.Spec, other.Spec)
			}
			if seen.Has(ps.Name) {
				t.Fatalf("two schedules make PingSource %s", ps.Name)
			}
			seen.Insert(ps.Name)
			if admitted {
				assertDNSLabel(t, "PingSource", ps.Name)
			}
		}
	})
}

// clusterLimits is Knative's default install with what a cluster may
// enable or raise: longer request timeouts, probes in sidecars, environment
// variables from the pod's fields, and every PodSpec field behind a flag
// that an App can set.
func clusterLimits(tb testing.TB) *servingconfig.Config {
	features := map[string]string{"multi-container-probing": "enabled"}
	for _, flag := range []string{"fieldref", "affinity", "init-containers", "tolerations", "nodeselector", "priorityclassname",
		"runtimeclassname", "topologyspreadconstraints", "schedulername", "dnspolicy", "dnsconfig", "hostaliases",
		"persistent-volume-claim", "persistent-volume-write", "securitycontext"} {
		features["kubernetes.podspec-"+flag] = "enabled"
	}
	cfg, err := knativeconfig.FromData(map[string]map[string]string{
		"config-defaults": {"max-revision-timeout-seconds": "3600"},
		"config-features": features,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// succeededImage is the image the reconciler runs once wf succeeded: what
// resources.BuildImage makes of its reported digest.
func succeededImage(t *testing.T, wf *wfv1.Workflow, repository string) string {
	done := wf.DeepCopy()
	done.Status.Phase = wfv1.WorkflowSucceeded
	done.Status.Outputs = &wfv1.Outputs{Parameters: []wfv1.Parameter{{
		Name: resources.DigestParameter, Value: wfv1.AnyStringPtr("sha256:" + strings.Repeat("ab", 32))}}}
	image, err := resources.BuildImage(done, repository)
	if err != nil {
		t.Fatalf("a build of a valid spec.build has no image: %v", err)
	}
	return image
}

// assertSpecError: a builder refuses only with a SpecError naming a field,
// and an admitted App only for a reason the cluster decides (allowed).
func assertSpecError(t *testing.T, err error, admitted bool, allowed string) {
	t.Helper()
	var specErr *resources.SpecError
	if !errors.As(err, &specErr) || specErr.Field == "" || specErr.Reason == "" {
		t.Fatalf("want a SpecError naming a field, got %T %v", err, err)
	}
	if admitted && specErr.Reason != allowed {
		t.Fatalf("the webhook admits the App, a builder refuses it: %s %v", specErr.Reason, err)
	}
}

func assertDNSLabel(t *testing.T, what, name string) {
	t.Helper()
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
		sort.Strings(msgs)
		t.Fatalf("%s name %q: %s", what, name, strings.Join(msgs, "; "))
	}
}
