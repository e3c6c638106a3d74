package resources

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
)

func withContainers(cs ...v1alpha1.Container) appOption {
	return func(a *v1alpha1.App) { a.Spec.Template.Containers = cs }
}

func withScaling(s v1alpha1.Scaling) appOption {
	return func(a *v1alpha1.App) { a.Spec.Scaling = &s }
}

func withRelease(r v1alpha1.Release) appOption {
	return func(a *v1alpha1.App) { a.Spec.Release = &r }
}

func withLabels(l map[string]string, ann map[string]string) appOption {
	return func(a *v1alpha1.App) { a.Labels, a.Annotations = l, ann }
}

var prod = platform.Default().Environments["prod"]

func TestMakeKnativeServiceGolden(t *testing.T) {
	existing := sets.New("shop-00aaaaaaaa", "shop-00bbbbbbbb")
	tests := []struct {
		name string
		app  *v1alpha1.App
		in   serviceInputs
	}{{
		name: "minimal",
		app:  newApp(),
	}, {
		name: "full-template",
		app: newApp(withContainers(v1alpha1.Container{
			Command: []string{"/shop"},
			Args:    []string{"--listen=:8080"},
			Env:     []corev1.EnvVar{{Name: "MODE", Value: "prod"}},
			Ports:   []corev1.ContainerPort{{ContainerPort: 8080}},
			Resources: &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz"}}},
		}, v1alpha1.Container{
			Name: "proxy", Image: "registry.example.com/platform/proxy:2.0",
		}), func(a *v1alpha1.App) {
			a.Spec.Template.TimeoutSeconds = ptr.To[int64](60)
			a.Spec.Template.ResponseStartTimeoutSeconds = ptr.To[int64](10)
			a.Spec.Template.IdleTimeoutSeconds = ptr.To[int64](30)
			a.Spec.Template.ContainerConcurrency = ptr.To[int64](50)
		}),
	}, {
		name: "scaling-and-domain",
		app: newApp(withScaling(v1alpha1.Scaling{MaxScale: ptr.To[int32](20), Target: ptr.To[int32](100), Metric: v1alpha1.ScalingMetricConcurrency}),
			func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: "store"} }),
	}, {
		name: "rollout-duration",
		app: newApp(func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{RolloutDuration: &metav1.Duration{Duration: 5 * time.Minute}}
		}),
	}, {
		name: "prod-environment",
		app:  newApp(),
		in:   serviceInputs{Environment: prod},
	}, {
		// Every autoscaling knob: the App's own initialScale and window win,
		// the rest come from its environment.
		name: "environment-scaling-knobs",
		app:  newApp(withScaling(v1alpha1.Scaling{InitialScale: ptr.To[int32](3), Window: &metav1.Duration{Duration: time.Minute}})),
		in: serviceInputs{Environment: platform.Environment{Name: "prod", Scaling: v1alpha1.Scaling{
			MinScale: ptr.To[int32](1), InitialScale: ptr.To[int32](2), ScaleDownDelay: &metav1.Duration{Duration: 15 * time.Minute},
			Window: &metav1.Duration{Duration: 2 * time.Minute}, TargetUtilization: ptr.To[int32](80), ActivationScale: ptr.To[int32](2),
			PanicWindowPercentage: ptr.To[int32](20), PanicThresholdPercentage: ptr.To[int32](300),
		}}},
	}, {
		name: "prod-environment-own-min-scale-wins",
		app:  newApp(withScaling(v1alpha1.Scaling{MinScale: ptr.To[int32](3)})),
		in:   serviceInputs{Environment: prod},
	}, {
		name: "cpu-metric-uses-hpa",
		app:  newApp(withScaling(v1alpha1.Scaling{Metric: v1alpha1.ScalingMetricCPU, Target: ptr.To[int32](70), MinScale: ptr.To[int32](1)})),
	}, {
		name: "stable-and-canary",
		app: newApp(withRelease(v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: "shop-00bbbbbbbb", Percent: 10}})),
		in: serviceInputs{Revisions: existing},
	}, {
		// Named tags: own hosts at 0%, beside the canary's.
		name: "named-tags",
		app: newApp(withRelease(v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: "shop-00bbbbbbbb", Percent: 10},
			Tags:   []v1alpha1.RevisionTag{{Name: "preview-42", Revision: "shop-00bbbbbbbb"}, {Name: "next", Revision: v1alpha1.CanaryLatest}}})),
		in: serviceInputs{Revisions: existing},
	}, {
		// A migrated service: config file, TLS, private registry, pod
		// annotations, a non-root container (all Knative allows by default).
		name: "migrated-service",
		app: newApp(func(a *v1alpha1.App) {
			a.Spec.Template = v1alpha1.AppTemplate{
				Labels:      map[string]string{"team": "payments"},
				Annotations: map[string]string{"prometheus.io/scrape": "true"},
				Volumes: []v1alpha1.Volume{
					{Name: "config", ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "shop-config"}}},
					{Name: "tls", Secret: &corev1.SecretVolumeSource{SecretName: "shop-tls"}},
				},
				ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry-pull"}},
				Containers: []v1alpha1.Container{{
					VolumeMounts:    []corev1.VolumeMount{{Name: "config", MountPath: "/etc/shop", ReadOnly: true}, {Name: "tls", MountPath: "/etc/tls", ReadOnly: true}},
					SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false)},
				}},
			}
		}),
	}, {
		name: "stable-and-latest-canary",
		app: newApp(withRelease(v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Percent: 25}})),
		in: serviceInputs{Revisions: existing},
	}, {
		// Pods of an App with logs carry knapp.dev/logs, which the pod
		// webhook selects on.
		name: "logs-label-on-pods",
		app:  newApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/app/logs"} }),
	}, {
		name: "argocd-metadata-not-copied",
		app: newApp(withLabels(
			map[string]string{"app.kubernetes.io/instance": "team-a-shop", "team": "a"},
			map[string]string{"argocd.argoproj.io/tracking-id": "team-a-shop:knapp.dev/App:team-a/shop"})),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ksvc, err := buildService(tc.app, tc.in)
			if err != nil {
				t.Fatalf("MakeKnativeService: %v", err)
			}
			assertGolden(t, tc.name, ksvc)
			assertKnativeAccepts(t, tc.app, ksvc)
		})
	}
}

func TestMakeKnativeServiceDropsArgoCDTracking(t *testing.T) {
	app := newApp(withLabels(
		map[string]string{"app.kubernetes.io/instance": "team-a-shop"},
		map[string]string{"argocd.argoproj.io/tracking-id": "team-a-shop:knapp.dev/App:team-a/shop"}))
	ksvc, err := buildService(app, serviceInputs{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]string{ksvc.Labels, ksvc.Annotations, ksvc.Spec.Template.Labels, ksvc.Spec.Template.Annotations} {
		for k := range m {
			if strings.HasPrefix(k, "argocd.argoproj.io/") || k == "app.kubernetes.io/instance" {
				t.Errorf("Argo CD tracking key %q reached the Knative Service", k)
			}
		}
	}
	if ref := ksvc.OwnerReferences; len(ref) != 1 || ref[0].UID != app.UID || ref[0].Controller == nil || !*ref[0].Controller {
		t.Errorf("want one controller owner reference to the App, got %+v", ref)
	}
}

func TestMakeKnativeServiceRefusesBadInput(t *testing.T) {
	tests := []struct {
		name       string
		app        *v1alpha1.App
		in         serviceInputs
		wantReason string
		wantField  string
		wantDetail string
	}{{
		name:       "bad image",
		app:        newApp(func(a *v1alpha1.App) { a.Spec.Image = "Registry.Example.com/UPPER CASE:tag" }),
		wantReason: v1alpha1.ReasonInvalidSpec, wantField: "spec.image", wantDetail: "not a valid image reference",
	}, {
		name:       "no image and no build output",
		app:        newApp(func(a *v1alpha1.App) { a.Spec.Image = "" }),
		wantReason: v1alpha1.ReasonImageMissing, wantField: "spec.image", wantDetail: "set spec.image",
	}, {
		name:       "first container names an image",
		app:        newApp(withContainers(v1alpha1.Container{Image: "other:1"})),
		wantReason: v1alpha1.ReasonInvalidSpec, wantField: "spec.template.containers[0].image", wantDetail: "leave its image out",
	}, {
		name:       "sidecar without image",
		app:        newApp(withContainers(v1alpha1.Container{}, v1alpha1.Container{Name: "proxy"})),
		wantReason: v1alpha1.ReasonInvalidSpec, wantField: "spec.template.containers[1].image", wantDetail: "required",
	}, {
		name:       "bad sidecar image",
		app:        newApp(withContainers(v1alpha1.Container{}, v1alpha1.Container{Name: "proxy", Image: "a b"})),
		wantReason: v1alpha1.ReasonInvalidSpec, wantField: "spec.template.containers[1].image", wantDetail: "not a valid image reference",
	}, {
		name:       "stable revision does not exist",
		app:        newApp(withRelease(v1alpha1.Release{Stable: "shop-0000000000"})),
		in:         serviceInputs{Revisions: sets.New("shop-00aaaaaaaa")},
		wantReason: v1alpha1.ReasonRevisionNotFound, wantField: "spec.release.stable", wantDetail: `"shop-0000000000" does not exist`,
	}, {
		name:       "canary revision does not exist",
		app:        newApp(withRelease(v1alpha1.Release{Canary: &v1alpha1.Canary{Revision: "shop-gone", Percent: 5}})),
		wantReason: v1alpha1.ReasonRevisionNotFound, wantField: "spec.release.canary.revision", wantDetail: "shop-00aaaaaaaa",
		in: serviceInputs{Revisions: sets.New("shop-00aaaaaaaa")},
	}, {
		name:       "tagged revision does not exist",
		app:        newApp(withRelease(v1alpha1.Release{Tags: []v1alpha1.RevisionTag{{Name: "preview", Revision: "shop-gone"}}})),
		in:         serviceInputs{Revisions: sets.New("shop-00aaaaaaaa")},
		wantReason: v1alpha1.ReasonRevisionNotFound, wantField: "spec.release.tags[0].revision", wantDetail: `"shop-gone" does not exist`,
	}, {
		name:       "the canary tag taken",
		app:        newApp(withRelease(v1alpha1.Release{Tags: []v1alpha1.RevisionTag{{Name: "canary", Revision: "shop-00aaaaaaaa"}}})),
		in:         serviceInputs{Revisions: sets.New("shop-00aaaaaaaa")},
		wantReason: v1alpha1.ReasonInvalidSpec, wantField: "spec.release.tags[0].name", wantDetail: "the tag canary is knapp's",
	}, {
		name:       "latest canary without stable",
		app:        newApp(withRelease(v1alpha1.Release{Canary: &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Percent: 5}})),
		wantReason: v1alpha1.ReasonInvalidSpec, wantField: "spec.release.stable", wantDetail: "required when",
	}, {
		name: "canary percent out of range",
		app: newApp(withRelease(v1alpha1.Release{Stable: "shop-00aaaaaaaa",
			Canary: &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Percent: 101}})),
		in:         serviceInputs{Revisions: sets.New("shop-00aaaaaaaa")},
		wantReason: v1alpha1.ReasonInvalidSpec, wantField: "spec.release.canary.percent", wantDetail: "between 0 and 100",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildService(tc.app, tc.in)
			var specErr *SpecError
			if !errors.As(err, &specErr) {
				t.Fatalf("want a SpecError, got %v", err)
			}
			if specErr.Reason != tc.wantReason || specErr.Field != tc.wantField || !strings.Contains(specErr.Detail, tc.wantDetail) {
				t.Errorf("got reason %q field %q detail %q; want %q %q containing %q",
					specErr.Reason, specErr.Field, specErr.Detail, tc.wantReason, tc.wantField, tc.wantDetail)
			}
			if !strings.HasPrefix(err.Error(), tc.wantField+": ") {
				t.Errorf("message %q does not start with the field", err.Error())
			}
		})
	}
}

// Knative's own validation catches what knapp's builder passes through: two
// ports (the CRD allows one, but the builder must not rely on that).
func TestKnativeValidationRefusesInvalidService(t *testing.T) {
	app := newApp(withContainers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080}, {ContainerPort: 9090}}}))
	ksvc, err := buildService(app, serviceInputs{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = DefaultAndValidate(context.Background(), knativeconfig.Default(), app, ksvc)
	var specErr *SpecError
	if !errors.As(err, &specErr) || specErr.Reason != v1alpha1.ReasonInvalidSpec || specErr.Field != "spec.template.containers[0].ports[1]" || !strings.Contains(specErr.Detail, "port") {
		t.Fatalf("want Knative to refuse two ports with an InvalidSpec error naming the App's second port, got %v", err)
	}
}

// Knative's validation takes the cluster's configuration into account: a
// max-scale above the cluster's max-scale-limit is refused.
func TestKnativeValidationUsesClusterConfig(t *testing.T) {
	cfg, err := knativeconfig.FromData(map[string]map[string]string{"config-autoscaler": {"max-scale-limit": "10", "max-scale": "10"}})
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(withScaling(v1alpha1.Scaling{MaxScale: ptr.To[int32](20)}))
	ksvc, err := buildService(app, serviceInputs{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DefaultAndValidate(context.Background(), knativeconfig.Default(), app, ksvc); err != nil {
		t.Fatalf("a default install accepts max-scale 20: %v", err)
	}
	if _, err := DefaultAndValidate(context.Background(), cfg, app, ksvc); err == nil || !strings.HasPrefix(err.Error(), "spec.scaling.maxScale:") || !strings.Contains(err.Error(), "max-scale") {
		t.Fatalf("want max-scale 20 refused under max-scale-limit 10, got %v", err)
	}
}

func TestRevisionNameFollowsTemplateContent(t *testing.T) {
	name := func(app *v1alpha1.App, env platform.Environment) string {
		t.Helper()
		tmpl, err := MakeRevisionTemplate(app, env, "")
		if err != nil {
			t.Fatal(err)
		}
		return tmpl.Name
	}
	base := name(newApp(), platform.Environment{})
	if !strings.HasPrefix(base, "shop-") || len(base) != len("shop-")+10 {
		t.Errorf("revision name %q: want shop-<10 hex digits>", base)
	}
	if again := name(newApp(), platform.Environment{}); again != base {
		t.Errorf("same content, different names: %s and %s", base, again)
	}
	if released := name(newApp(withRelease(v1alpha1.Release{Stable: base})), platform.Environment{}); released != base {
		t.Errorf("release is not part of the template, yet the name changed: %s to %s", base, released)
	}
	changed := map[string]*v1alpha1.App{
		"image": newApp(func(a *v1alpha1.App) { a.Spec.Image = "registry.example.com/team-a/shop:1.4.3" }),
		"env":   newApp(withContainers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "MODE", Value: "prod"}}})),
		"probe": newApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}}})),
		"scale": newApp(withScaling(v1alpha1.Scaling{MaxScale: ptr.To[int32](5)})),
	}
	for what, app := range changed {
		if n := name(app, platform.Environment{}); n == base {
			t.Errorf("changing the %s kept the revision name %s", what, n)
		}
	}
	if n := name(newApp(), prod); n == base {
		t.Errorf("the environment's minScale is in the template, yet the name stayed %s", n)
	}
}

// Fields behind Knative's flags reach the Service as set, and Knative's
// own validation accepts it with the flags on.
func TestMakeKnativeServiceFlaggedPodFields(t *testing.T) {
	app := newApp(func(a *v1alpha1.App) {
		a.Spec.Template.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"eu-west-1a"}}}}}}}}
		a.Spec.Template.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "shop", Effect: corev1.TaintEffectNoSchedule}}
		a.Spec.Template.InitContainers = []v1alpha1.Container{{Name: "migrate", Image: "registry.example.com/team-a/shop-migrate:1.4.2", Args: []string{"up"}}}
	})
	ksvc, err := buildService(app, serviceInputs{})
	if err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "flagged-pod-fields", ksvc)
	on, err := knativeconfig.FromData(map[string]map[string]string{"config-features": {
		"kubernetes.podspec-affinity": "enabled", "kubernetes.podspec-tolerations": "enabled", "kubernetes.podspec-init-containers": "enabled"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DefaultAndValidate(context.Background(), on, app, ksvc); err != nil {
		t.Errorf("Knative refuses the Service with the flags on: %v", err)
	}
	if _, err := DefaultAndValidate(context.Background(), knativeconfig.Default(), app, ksvc); err == nil {
		t.Error("Knative accepts the Service with the flags off; the test proves nothing")
	}
}
