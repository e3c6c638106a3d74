package appvalidation

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"knative.dev/pkg/observability/runtime"
	"knative.dev/serving/pkg/networking"

	"knapp.dev/knapp/api/v1alpha1"
)

// Validate checks an App at admission: the App's own rules
// (v1alpha1.App.Validate) and Knative Serving's rules for its pod. Each
// error names the App's field at fault and says what is allowed.
func Validate(app *v1alpha1.App) field.ErrorList {
	if app == nil {
		return nil
	}
	errs := app.Validate()
	return append(errs, validateKnativeTemplate(&app.Spec.Template, field.NewPath("spec", "template"))...)
}

// reservedContainerNames are the names Knative refuses for a container.
var reservedContainerNames = sets.New(v1alpha1.QueueProxyContainerName)

// ReservedPorts are the container ports Knative Serving refuses (v0.50,
// pkg/apis/serving/k8s_validation.go): the queue-proxy's HTTP and HTTP/2
// ports, its admin port, its two metrics ports and the profiling port.
var ReservedPorts = sets.New[int32](
	networking.BackendHTTPPort,             // 8012
	networking.BackendHTTP2Port,            // 8013
	networking.QueueAdminPort,              // 8022
	networking.AutoscalingQueueMetricsPort, // 9090
	networking.UserQueueMetricsPort,        // 9091
	runtime.ProfilingDefaultPort,           // 8008
)

// validPortNames are the port names Knative allows: they choose the protocol.
var validPortNames = sets.New("", "h2c", "http1")

// reservedEnvVars are the variables Knative sets in the serving container
// (PORT) and in every container (K_*); it refuses them in the spec.
var (
	reservedEnvVars        = sets.New("PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION")
	reservedSidecarEnvVars = sets.New("K_SERVICE", "K_CONFIGURATION", "K_REVISION")
)

// validateKnativeTemplate checks Knative Serving's rules for the
// containers: reserved names, one port in all, the port's fields, reserved
// environment variables, probes, envFrom and resources.
func validateKnativeTemplate(t *v1alpha1.AppTemplate, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	cs := t.Containers
	cp := p.Child("containers")
	serving := servingContainer(cs)
	ports := 0
	for i := range cs {
		c, ip := &cs[i], cp.Index(i)
		if reservedContainerNames.Has(c.Name) {
			errs = append(errs, field.Invalid(ip.Child("name"), c.Name, "queue-proxy is the name of Knative's own container; choose another"))
		}
		for j := range c.Ports {
			ports++
			if ports > 1 {
				errs = append(errs, field.Invalid(ip.Child("ports").Index(j), c.Ports[j].ContainerPort,
					"Knative allows one port in total across all containers: the port the app listens on, where requests are sent"))
				continue
			}
			errs = append(errs, validatePort(&c.Ports[j], ip.Child("ports").Index(j))...)
		}
		errs = append(errs, validateEnv(c.Env, i == serving, ip.Child("env"))...)
		errs = append(errs, validateKnativeContainer(c, i == serving, servingPortName(cs), ip)...)
	}
	if len(cs) > 1 && ports == 0 {
		errs = append(errs, field.Required(cp.Index(0).Child("ports"),
			"with sidecars Knative needs the port requests go to: set ports to [{containerPort: <the port the app listens on>}] on the app's (first) container"))
	}
	return errs
}

// servingPortName is the name Knative gives the App's port, which probes
// of the serving container may name.
func servingPortName(cs []v1alpha1.Container) string {
	for i := range cs {
		if len(cs[i].Ports) > 0 && cs[i].Ports[0].Name != "" {
			return cs[i].Ports[0].Name
		} else if len(cs[i].Ports) > 0 {
			break
		}
	}
	return knativePortName
}

// servingContainer is the index of the container Knative sends requests to
// (and treats as the user container): the only one, else the one with a
// port; -1 when that is not known.
func servingContainer(cs []v1alpha1.Container) int {
	if len(cs) <= 1 {
		return 0
	}
	for i := range cs {
		if len(cs[i].Ports) > 0 {
			return i
		}
	}
	return -1
}

func validatePort(port *corev1.ContainerPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch n := port.ContainerPort; {
	case n < 1 || n > 65535:
		errs = append(errs, field.Invalid(p.Child("containerPort"), n, "must be a port number between 1 and 65535"))
	case ReservedPorts.Has(n):
		errs = append(errs, field.Invalid(p.Child("containerPort"), n,
			"is reserved by Knative's queue-proxy (reserved: "+reservedPortList()+"); listen on another port, such as 8080"))
	}
	if !validPortNames.Has(port.Name) {
		errs = append(errs, field.NotSupported(p.Child("name"), port.Name, []string{"h2c", "http1"}))
	}
	if port.Protocol != "" && port.Protocol != corev1.ProtocolTCP {
		errs = append(errs, field.NotSupported(p.Child("protocol"), port.Protocol, []corev1.Protocol{corev1.ProtocolTCP}))
	}
	if port.HostPort != 0 {
		errs = append(errs, field.Forbidden(p.Child("hostPort"), "Knative does not allow host ports; leave hostPort out"))
	}
	if port.HostIP != "" {
		errs = append(errs, field.Forbidden(p.Child("hostIP"), "Knative does not allow host ports; leave hostIP out"))
	}
	return errs
}

func reservedPortList() string {
	ports := sets.List(ReservedPorts)
	s := make([]string, len(ports))
	for i, n := range ports {
		s[i] = strconv.Itoa(int(n))
	}
	return strings.Join(s, ", ")
}

func validateEnv(env []corev1.EnvVar, serving bool, p *field.Path) field.ErrorList {
	reserved := reservedSidecarEnvVars
	if serving {
		reserved = reservedEnvVars
	}
	var errs field.ErrorList
	for i := range env {
		np := p.Index(i).Child("name")
		n := env[i].Name
		switch {
		case n == "":
			errs = append(errs, field.Required(np, "an environment variable needs a name"))
		case len(validation.IsEnvVarName(n)) > 0:
			// apimachinery's message says what is allowed.
			errs = append(errs, field.Invalid(np, n, strings.Join(validation.IsEnvVarName(n), "; ")))
		case reserved.Has(n):
			errs = append(errs, field.Invalid(np, n,
				"is set by Knative ("+strings.Join(sets.List(reserved), ", ")+" are reserved in this container); choose another name"))
		}
	}
	return errs
}
