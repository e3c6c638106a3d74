package resources

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"

	"knapp.dev/knapp/api/v1alpha1"
)

// Each of Knative's paths of the Service names the App's field it came
// from; lists Knative reports without an index get the App's entry.
func TestKnativeFieldErrorsNameTheAppsField(t *testing.T) {
	app := newApp(withContainers(
		v1alpha1.Container{EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{}}, {}}},
		v1alpha1.Container{Image: "busybox", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}},
		v1alpha1.Container{Image: "busybox", Ports: []corev1.ContainerPort{{ContainerPort: 9000}}},
	))
	tests := []struct {
		name  string
		err   *apis.FieldError
		field string
		text  string
	}{
		{"a probe field", apis.ErrOutOfBoundsValue(-1, 0, 10, "periodSeconds").ViaField("readinessProbe").ViaFieldIndex("containers", 1).ViaField("spec").ViaField("template").ViaField("spec"),
			"spec.template.containers[1].readinessProbe.periodSeconds", "expected 0 <= -1 <= 10"},
		{"the first port, unindexed", apis.ErrInvalidValue("UDP", "protocol").ViaField("ports").ViaFieldIndex("containers", 1).ViaField("spec").ViaField("template").ViaField("spec"),
			"spec.template.containers[1].ports[0].protocol", "only TCP"},
		{"ports of all containers", (&apis.FieldError{Message: "more than one container port is set", Paths: []string{"ports"}}).ViaField("containers[*]").ViaField("spec").ViaField("template").ViaField("spec"),
			"spec.template.containers[2].ports[0]", "more than one container port"},
		{"an envFrom one-of, unindexed", apis.ErrMissingOneOf("configMapRef", "secretRef").ViaField("envFrom").ViaFieldIndex("containers", 0).ViaField("spec").ViaField("template").ViaField("spec"),
			"spec.template.containers[0].envFrom[1]", "set one of configMapRef, secretRef"},
		{"a revision setting", apis.ErrOutOfBoundsValue(900, 0, 600, "timeoutSeconds").ViaField("spec").ViaField("template").ViaField("spec"),
			"spec.template.timeoutSeconds", "max-revision-timeout-seconds"},
		{"a scaling annotation", apis.ErrOutOfBoundsValue(20, 1, 10, "autoscaling.knative.dev/max-scale").ViaField("annotations").ViaField("metadata").ViaField("template").ViaField("spec"),
			"spec.scaling.maxScale", "max-scale-limit"},
		{"the Service's name", apis.ErrInvalidValue("x", "name").ViaField("metadata"), "metadata.name", "x"},
		{"traffic", apis.ErrMissingField("revisionName").ViaFieldIndex("traffic", 0).ViaField("spec"), "spec.release", "Required value"},
		{"a field behind a flag", apis.ErrDisallowedFields("fieldRef").ViaField("valueFrom").ViaFieldIndex("env", 0).ViaFieldIndex("containers", 0).ViaField("spec").ViaField("template").ViaField("spec"),
			"spec.template.containers[0].env[0].valueFrom.fieldRef", "kubernetes.podspec-fieldref is disabled in config-features"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := KnativeFieldErrors(app, tc.err)
			if len(errs) != 1 || errs[0].Field != tc.field || !strings.Contains(errs[0].Error(), tc.text) {
				t.Errorf("want one error for %s containing %q, got %v", tc.field, tc.text, errs.ToAggregate())
			}
		})
	}
}

// Knative names every field of a sidecar's probe when probes of sidecars
// are off; the App gets one error, for the probe.
func TestKnativeFieldErrorsOneErrorPerSidecarProbe(t *testing.T) {
	app := newApp(withContainers(
		v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080}}},
		v1alpha1.Container{Image: "busybox", LivenessProbe: &corev1.Probe{PeriodSeconds: 3, ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{}}}},
	))
	ferr := apis.ErrDisallowedFields("periodSeconds", "exec").ViaField("livenessProbe").ViaFieldIndex("containers", 1).ViaField("spec").ViaField("template").ViaField("spec")
	errs := KnativeFieldErrors(app, ferr)
	if len(errs) != 1 || errs[0].Field != "spec.template.containers[1].livenessProbe" || !strings.Contains(errs[0].Detail, "multi-container-probing") {
		t.Errorf("want one error for the sidecar's livenessProbe naming multi-container-probing, got %v", errs.ToAggregate())
	}
}

// A refusal without a message in any leaf still gives one error: callers
// report the first, and must never find none.
func TestKnativeFieldErrorsNeverEmpty(t *testing.T) {
	errs := KnativeFieldErrors(newApp(), &apis.FieldError{Details: "no message", Paths: []string{"spec.template"}})
	if len(errs) != 1 || errs[0].Field != "spec" {
		t.Errorf("want one error for spec, got %v", errs.ToAggregate())
	}
}
