package appvalidation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"knapp.dev/knapp/api/v1alpha1"
)

// Knative's container rules, each found by FuzzBuilders
// (pkg/resources) as an App this webhook admitted and Knative
// refused.

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
		if errs := Validate(app); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs.ToAggregate())
		}
	}
}

func TestKnativeContainerRulesRefuse(t *testing.T) {
	sidecar := func(c v1alpha1.Container) func(*v1alpha1.App) {
		c.Image = "busybox"
		return withContainers(v1alpha1.Container{Ports: appPort}, c)
	}
	tests := []struct {
		name, field, msg string
		app              *v1alpha1.App
	}{
		{"liveness without handler", "spec.template.containers[0].livenessProbe", "set one of httpGet",
			validApp(withContainers(v1alpha1.Container{LivenessProbe: &corev1.Probe{PeriodSeconds: 3}}))},
		{"two handlers", "spec.template.containers[0].readinessProbe", "only one of",
			validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: tcp.TCPSocket, Exec: &corev1.ExecAction{}}}}))},
		{"probe names another port", "spec.template.containers[0].readinessProbe.httpGet.port", "container port's (http)",
			validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: httpNamed("web")}}))},
		{"negative readiness period", "spec.template.containers[0].readinessProbe.periodSeconds", "not be negative",
			validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: tcp, PeriodSeconds: -1}}))},
		{"failureThreshold with period 0", "spec.template.containers[0].readinessProbe.failureThreshold", "periodSeconds is 0",
			validApp(withContainers(v1alpha1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: tcp, FailureThreshold: 3}}))},
		{"sidecar readiness without handler", "spec.template.containers[1].readinessProbe", "set one of",
			validApp(sidecar(v1alpha1.Container{ReadinessProbe: &corev1.Probe{}}))},
		{"sidecar probe without port", "spec.template.containers[1].livenessProbe.tcpSocket.port", "names its port",
			validApp(sidecar(v1alpha1.Container{LivenessProbe: &corev1.Probe{ProbeHandler: tcp}}))},
		{"envFrom without source", "spec.template.containers[0].envFrom[0]", "configMapRef or secretRef",
			validApp(withContainers(v1alpha1.Container{EnvFrom: []corev1.EnvFromSource{{Prefix: "A_"}}}))},
		{"envFrom with both", "spec.template.containers[0].envFrom[0]", "not both", validApp(withContainers(v1alpha1.Container{EnvFrom: []corev1.EnvFromSource{{
			ConfigMapRef: &corev1.ConfigMapEnvSource{}, SecretRef: &corev1.SecretEnvSource{}}}}))},
		{"env from a file", "spec.template.containers[0].env[0].valueFrom.fileKeyRef", "configMapKeyRef or secretKeyRef",
			validApp(withContainers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{}}}}}))},
		{"resource claims", "spec.template.containers[0].resources.claims", "limits and requests",
			validApp(withContainers(v1alpha1.Container{Resources: &corev1.ResourceRequirements{Claims: []corev1.ResourceClaim{{Name: "gpu"}}}}))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := Validate(tc.app)
			if len(errs) != 1 || errs[0].Field != tc.field || !strings.Contains(errs[0].Error(), tc.msg) {
				t.Errorf("want one error for %s containing %q, got %v", tc.field, tc.msg, errs.ToAggregate())
			}
		})
	}
}

// What a default install refuses unless config-features enables it is a warning.
func TestKnativeFeatureWarnings(t *testing.T) {
	app := validApp(withContainers(
		v1alpha1.Container{Ports: appPort, Env: []corev1.EnvVar{{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}},
		v1alpha1.Container{Image: "busybox", ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}))
	if errs := Validate(app); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	got := strings.Join(Warnings(app), "\n")
	for _, want := range []string{"containers[1]: Knative refuses probes on a sidecar unless", "containers[0].env[0].valueFrom: Knative refuses fieldRef"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
}
