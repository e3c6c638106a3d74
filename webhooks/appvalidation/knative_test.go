package appvalidation

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	servingconfig "knative.dev/serving/pkg/apis/config"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
)

// Knative's container rules, each once found by FuzzBuilders
// (pkg/resources) as an App this webhook admitted and Knative refused,
// before the webhook ran Knative's own validation.

func withContainers(cs ...v1alpha1.Container) func(*v1alpha1.App) {
	return func(a *v1alpha1.App) { a.Spec.Template.Containers = cs }
}

var (
	tcp       = corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}}
	httpNamed = func(port string) corev1.ProbeHandler {
		return corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromString(port)}}
	}
	appPort = []corev1.ContainerPort{{ContainerPort: 8080}}
)

func TestKnativeContainerRulesPass(t *testing.T) {
	tests := map[string]*v1alpha1.App{
		"readiness without handler: Knative probes the port": validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{PeriodSeconds: 5}})),
		"probe names the unnamed port http":                  validApp(withContainers(v1alpha1.Container{LivenessProbe: &corev1.Probe{ProbeHandler: httpNamed("http")}})),
		"probe names the port":                               validApp(withContainers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080, Name: "h2c"}}, StartupProbe: &corev1.Probe{ProbeHandler: httpNamed("h2c")}})),
		"aggressive readiness":                               validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: tcp, SuccessThreshold: 1}})),
		"envFrom one source": validApp(withContainers(v1alpha1.Container{EnvFrom: []corev1.EnvFromSource{
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "a"}}},
			{Prefix: "S_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "b"}}}}})),
	}
	for name, app := range tests {
		if errs := validate(app); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs.ToAggregate())
		}
	}
}

// clusterLimits enables and raises what a cluster may: probes of sidecars,
// environment from the pod's fields, longer request timeouts.
func clusterLimits(t *testing.T) *servingconfig.Config {
	t.Helper()
	cfg, err := knativeconfig.FromData(map[string]map[string]string{
		"config-defaults": {"max-revision-timeout-seconds": "3600"},
		"config-features": {"multi-container-probing": "enabled", "kubernetes.podspec-fieldref": "enabled"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Knative's own rules, run on the Service the App makes, name the App's
// field (Knative's paths mapped back), each with Knative's reason.
func TestKnativeContainerRulesRefuse(t *testing.T) {
	sidecar := func(c v1alpha1.Container) func(*v1alpha1.App) {
		c.Image = "busybox"
		return withContainers(v1alpha1.Container{Ports: appPort}, c)
	}
	raised := clusterLimits(t)
	tests := []struct {
		name, field, msg string
		app              *v1alpha1.App
		cfg              *servingconfig.Config // nil: a default install
	}{
		{"liveness without handler", "spec.template.containers[0].livenessProbe", "set one of exec, grpc, httpGet, tcpSocket",
			validApp(withContainers(v1alpha1.Container{LivenessProbe: &corev1.Probe{PeriodSeconds: 3}})), nil},
		{"two handlers", "spec.template.containers[0].readinessProbe", "set only one of",
			validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: tcp.TCPSocket, Exec: &corev1.ExecAction{}}}})), nil},
		{"probe names another port", "spec.template.containers[0].readinessProbe.httpGet.port", "web: Probe port must match container port",
			validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: httpNamed("web")}})), nil},
		{"negative readiness period", "spec.template.containers[0].readinessProbe.periodSeconds", "expected 0 <= -1",
			validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: tcp, PeriodSeconds: -1}})), nil},
		{"failureThreshold with period 0", "spec.template.containers[0].readinessProbe.failureThreshold", "disallowed when periodSeconds is zero",
			validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: tcp, FailureThreshold: 3}})), nil},
		{"sidecar probe, flag off", "spec.template.containers[1].readinessProbe", "multi-container-probing is disabled in config-features",
			validApp(sidecar(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: tcp}})), nil},
		{"sidecar readiness without handler", "spec.template.containers[1].readinessProbe", "set one of",
			validApp(sidecar(v1alpha1.Container{ReadinessProbe: &corev1.Probe{}})), raised},
		{"sidecar probe without port", "spec.template.containers[1].livenessProbe.tcpSocket.port", "Probe port must be specified",
			validApp(sidecar(v1alpha1.Container{LivenessProbe: &corev1.Probe{ProbeHandler: tcp}})), raised},
		{"envFrom without source", "spec.template.containers[0].envFrom[0]", "set one of configMapRef, secretRef",
			validApp(withContainers(v1alpha1.Container{EnvFrom: []corev1.EnvFromSource{{Prefix: "A_"}}})), nil},
		{"second envFrom with both", "spec.template.containers[0].envFrom[1]", "set only one of configMapRef, secretRef", validApp(withContainers(v1alpha1.Container{EnvFrom: []corev1.EnvFromSource{
			{ConfigMapRef: &corev1.ConfigMapEnvSource{}}, {ConfigMapRef: &corev1.ConfigMapEnvSource{}, SecretRef: &corev1.SecretEnvSource{}}}})), nil},
		{"env from a file", "spec.template.containers[0].env[0].valueFrom.fileKeyRef", "does not allow this field",
			validApp(withContainers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{}}}}})), nil},
		{"env from the pod's fields, flag off", "spec.template.containers[0].env[0].valueFrom.fieldRef", "kubernetes.podspec-fieldref is disabled in config-features",
			validApp(withContainers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}})), nil},
		{"resource claims", "spec.template.containers[0].resources.claims", "does not allow this field",
			validApp(withContainers(v1alpha1.Container{Resources: &corev1.ResourceRequirements{Claims: []corev1.ResourceClaim{{Name: "gpu"}}}})), nil},
		{"timeout above the cluster's limit", "spec.template.timeoutSeconds", "max-revision-timeout-seconds",
			validApp(func(a *v1alpha1.App) { a.Spec.Template.TimeoutSeconds = ptr.To[int64](900) }), nil},
		{"rollout duration below a second", "spec.release.rolloutDuration", "not at second precision",
			validApp(func(a *v1alpha1.App) {
				a.Spec.Release = &v1alpha1.Release{RolloutDuration: &metav1.Duration{Duration: 1500 * time.Millisecond}}
			}), nil},
		{"negative rollout duration", "spec.release.rolloutDuration", "must be positive",
			validApp(func(a *v1alpha1.App) {
				a.Spec.Release = &v1alpha1.Release{RolloutDuration: &metav1.Duration{Duration: -time.Minute}}
			}), nil},
		{"autoscaling window below Knative's minimum", "spec.scaling.window", "6s",
			validApp(func(a *v1alpha1.App) {
				a.Spec.Scaling = &v1alpha1.Scaling{Window: &metav1.Duration{Duration: 3 * time.Second}}
			}), nil},
		{"initial scale 0 where the cluster does not allow it", "spec.scaling.initialScale", "allow-zero-initial-scale",
			validApp(func(a *v1alpha1.App) { a.Spec.Scaling = &v1alpha1.Scaling{InitialScale: ptr.To[int32](0)} }), nil},
		{"maxScale above the cluster's limit", "spec.scaling.maxScale", "max-scale-limit",
			validApp(func(a *v1alpha1.App) { a.Spec.Scaling = &v1alpha1.Scaling{MaxScale: ptr.To[int32](20)} }), scaleLimit(t, 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg == nil {
				cfg = knativeconfig.Default()
			}
			errs := Validate(context.Background(), cfg, tc.app)
			if len(errs) != 1 || errs[0].Field != tc.field || !strings.Contains(errs[0].Error(), tc.msg) {
				t.Errorf("want one error for %s containing %q, got %v", tc.field, tc.msg, errs.ToAggregate())
			}
		})
	}
}

func scaleLimit(t *testing.T, n int) *servingconfig.Config {
	t.Helper()
	cfg, err := knativeconfig.FromData(map[string]map[string]string{"config-autoscaler": {"max-scale-limit": strconv.Itoa(n), "max-scale": strconv.Itoa(n)}})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// What a default install refuses, a cluster that enables or raises it
// admits: the webhook reads the cluster's flags, as the reconciler does.
func TestKnativeRulesFollowTheClusterConfig(t *testing.T) {
	app := validApp(withContainers(
		v1alpha1.Container{Ports: appPort, Env: []corev1.EnvVar{{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}},
		v1alpha1.Container{Image: "busybox", ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}),
		func(a *v1alpha1.App) { a.Spec.Template.TimeoutSeconds = ptr.To[int64](900) })
	if errs := Validate(context.Background(), clusterLimits(t), app); len(errs) > 0 {
		t.Fatalf("a cluster that enables the flags and raises the timeout: %v", errs.ToAggregate())
	}
	var fields []string
	for _, e := range validate(app) {
		fields = append(fields, e.Field)
	}
	want := []string{"spec.template.containers[0].env[0].valueFrom.fieldRef", "spec.template.containers[1].readinessProbe", "spec.template.timeoutSeconds"}
	slices.Sort(fields)
	if !slices.Equal(fields, want) {
		t.Errorf("a default install refuses %q, want %q", fields, want)
	}
}
