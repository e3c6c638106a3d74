package appvalidation

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
)

// Knative Serving's rules (v0.50, pkg/apis/serving/k8s_validation.go and
// the defaults it applies first, serving/v1/revision_defaults.go) for the
// probes, envFrom, env and resources of a container, checked here so that
// admission names the App's field instead of the reconciler quoting
// Knative's refusal in status. What depends on the cluster's
// config-features is a warning (knativeFeatureWarnings).

// knativePortName is the name Knative gives the serving port when it has none.
const knativePortName = "http"

// validateKnativeContainer checks container c; serving says Knative routes
// requests to it (the only container, or the one with the port), whose
// probes may name its port by portName.
func validateKnativeContainer(c *v1alpha1.Container, serving bool, portName string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, src := range c.EnvFrom {
		switch ip := p.Child("envFrom").Index(i); {
		case src.ConfigMapRef == nil && src.SecretRef == nil:
			errs = append(errs, field.Required(ip, "set configMapRef or secretRef"))
		case src.ConfigMapRef != nil && src.SecretRef != nil:
			errs = append(errs, field.Forbidden(ip, "set configMapRef or secretRef, not both: Knative takes one source per entry"))
		}
	}
	for i, env := range c.Env {
		if env.ValueFrom != nil && env.ValueFrom.FileKeyRef != nil {
			errs = append(errs, field.Forbidden(p.Child("env").Index(i).Child("valueFrom", "fileKeyRef"),
				"Knative does not allow it; use configMapKeyRef or secretKeyRef"))
		}
	}
	if c.Resources != nil && len(c.Resources.Claims) > 0 {
		errs = append(errs, field.Forbidden(p.Child("resources", "claims"), "Knative does not allow resource claims; set limits and requests"))
	}
	for _, probe := range []struct {
		name      string
		p         *corev1.Probe
		readiness bool
	}{{"livenessProbe", c.LivenessProbe, false}, {"readinessProbe", c.ReadinessProbe, true}, {"startupProbe", c.StartupProbe, false}} {
		if probe.p != nil {
			errs = append(errs, validateProbe(probe.p, probe.readiness, serving, portName, p.Child(probe.name))...)
		}
	}
	return errs
}

// probePort is the port a probe's handler names.
type probePort struct {
	handler string
	port    intstr.IntOrString
}

func validateProbe(probe *corev1.Probe, readiness, serving bool, portName string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	h := probe.ProbeHandler
	handlers := 0
	for _, set := range []bool{h.HTTPGet != nil, h.TCPSocket != nil, h.Exec != nil, h.GRPC != nil} {
		if set {
			handlers++
		}
	}
	switch {
	case handlers > 1:
		errs = append(errs, field.Forbidden(p, "set only one of httpGet, tcpSocket, exec and grpc"))
	case handlers == 0 && !(readiness && serving):
		// Knative gives only the serving container's readiness probe a
		// default (TCP to its port).
		errs = append(errs, field.Required(p, "set one of httpGet, tcpSocket, exec and grpc"))
	}
	var ports []probePort
	if h.HTTPGet != nil {
		ports = append(ports, probePort{"httpGet", h.HTTPGet.Port})
	}
	if h.TCPSocket != nil {
		ports = append(ports, probePort{"tcpSocket", h.TCPSocket.Port})
	}
	for _, hp := range ports {
		switch port := hp.port; {
		case serving && port.StrVal != "" && port.StrVal != portName:
			errs = append(errs, field.Invalid(p.Child(hp.handler, "port"), port.StrVal,
				fmt.Sprintf("a port name must be the container port's (%s); or leave the port out to probe the port requests go to", portName)))
		case !serving && port.StrVal == "" && port.IntVal == 0:
			errs = append(errs, field.Required(p.Child(hp.handler, "port"), "a sidecar's probe names its port"))
		}
	}
	if !readiness {
		return errs
	}
	// Readiness, after Knative's defaults (0 means the default): periodSeconds
	// 0 is Knative's own aggressive probing, which sets the rest itself.
	for _, v := range []struct {
		name string
		n    int32
	}{{"periodSeconds", probe.PeriodSeconds}, {"initialDelaySeconds", probe.InitialDelaySeconds}, {"successThreshold", probe.SuccessThreshold},
		{"timeoutSeconds", probe.TimeoutSeconds}, {"failureThreshold", probe.FailureThreshold}} {
		switch {
		case v.n < 0:
			errs = append(errs, field.Invalid(p.Child(v.name), v.n, "must not be negative"))
		case v.n > 0 && probe.PeriodSeconds == 0 && (v.name == "timeoutSeconds" || v.name == "failureThreshold"):
			errs = append(errs, field.Forbidden(p.Child(v.name), "not allowed when periodSeconds is 0 (Knative probes aggressively and sets it); set periodSeconds too"))
		}
	}
	return errs
}

// knativeFeatureWarnings: what a default install of Knative refuses unless
// the cluster's config-features enables it.
func knativeFeatureWarnings(cs []v1alpha1.Container) []string {
	var w []string
	serving := servingContainer(cs)
	for i := range cs {
		c := &cs[i]
		if i != serving && (c.LivenessProbe != nil || c.ReadinessProbe != nil || c.StartupProbe != nil) {
			w = append(w, fmt.Sprintf(
				"spec.template.containers[%d]: Knative refuses probes on a sidecar unless the cluster's config-features enables multi-container-probing", i))
		}
		for j, env := range c.Env {
			if env.ValueFrom != nil && (env.ValueFrom.FieldRef != nil || env.ValueFrom.ResourceFieldRef != nil) {
				w = append(w, fmt.Sprintf(
					"spec.template.containers[%d].env[%d].valueFrom: Knative refuses fieldRef and resourceFieldRef unless the cluster's config-features enables kubernetes.podspec-fieldref", i, j))
			}
		}
	}
	return w
}
