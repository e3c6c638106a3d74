package appvalidation

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"knative.dev/pkg/kmeta"
	"knative.dev/pkg/observability/runtime"
	servingconfig "knative.dev/serving/pkg/apis/config"
	"knative.dev/serving/pkg/networking"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app/resources"
)

// MaxAppNameLength is the longest App name: revision names are
// <name>-<10 hex digits> and must fit in a DNS label (63), with room for
// Knative's derived names. The CRD says the same.
const MaxAppNameLength = 49

// UserContainerName is the name Knative gives an unnamed container when the
// Service has one container (Knative's default container-name-template);
// with several, unnamed containers become user-container-0, -1, ...
const UserContainerName = servingconfig.DefaultUserContainerName

// reservedContainerNames are the names Knative refuses for a container.
var reservedContainerNames = sets.New("queue-proxy")

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

// Logs paths that are refused. The pod webhook (webhooks/podlogs) mounts a
// directory of the node at spec.logs.path in the container:
//
//   - under /proc, /sys and /dev the runtime mounts kernel and device
//     filesystems (runc refuses mounts into /proc; Knative refuses volume
//     mounts at / and /dev); under /run and /var/run live sockets and the
//     service-account token (/var/run/secrets/kubernetes.io/...), which a
//     host directory would shadow or collide with; /etc/hosts,
//     /etc/hostname and /etc/resolv.conf are files kubelet mounts. Refused
//     with everything below them.
//   - /, /bin, /boot, /etc, /lib, /lib64, /sbin, /usr and /var themselves:
//     a host directory mounted there hides the image's programs, libraries
//     or configuration (and /var holds /var/run), so the container would not
//     start or would misbehave. Directories below them, such as
//     /var/log/app or /usr/src/app/logs, are fine.
var (
	reservedLogTrees = []string{"/proc", "/sys", "/dev", "/run", "/var/run",
		"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}
	reservedLogDirs = sets.New("/", "/bin", "/boot", "/etc", "/lib", "/lib64", "/sbin", "/usr", "/var")
)

// Validate checks every rule of an App that can be checked on the App
// alone. Each error names the field at fault and says what is allowed.
func Validate(app *v1alpha1.App) field.ErrorList {
	if app == nil {
		return nil
	}
	var errs field.ErrorList
	errs = append(errs, validateName(app.Name, field.NewPath("metadata", "name"))...)
	spec := field.NewPath("spec")
	errs = append(errs, validateImageSource(&app.Spec, spec)...)
	errs = append(errs, validateTemplate(&app.Spec.Template, spec.Child("template"))...)
	errs = append(errs, validateScaling(app.Spec.Scaling, spec.Child("scaling"))...)
	errs = append(errs, validateDomain(app.Spec.Domain, spec.Child("domain"))...)
	errs = append(errs, validateRelease(app, spec.Child("release"))...)
	errs = append(errs, validateLogs(app.Spec.Logs, app.Spec.Template.Containers, spec.Child("logs"))...)
	errs = append(errs, validateBuild(app.Spec.Build, spec.Child("build"))...)
	errs = append(errs, v1alpha1.ValidateSchedules(app.Spec.Schedules, spec.Child("schedules"))...)
	return errs
}

func validateName(n string, p *field.Path) field.ErrorList {
	const allowed = "a DNS-1035 label of at most 49 characters: lower-case letters, digits and -, starting with a letter and ending with a letter or digit " +
		"(Knative Service names are DNS-1035 labels, and revision names <name>-<10 characters> must fit in 63)"
	switch {
	case n == "":
		return field.ErrorList{field.Required(p, allowed)}
	case len(n) > MaxAppNameLength:
		return field.ErrorList{field.TooLong(p, n, MaxAppNameLength)}
	case len(validation.IsDNS1035Label(n)) > 0:
		return field.ErrorList{field.Invalid(p, n, "must be "+allowed)}
	}
	return nil
}

// validateImageSource: an image, or a build that makes one.
func validateImageSource(s *v1alpha1.AppSpec, p *field.Path) field.ErrorList {
	if s.Image == "" {
		if s.Build == nil {
			return field.ErrorList{field.Required(p.Child("image"),
				"set spec.image to an image reference such as registry.example.com/team/app:1.0, or spec.build to build one from git")}
		}
		return nil
	}
	return resources.ValidateImage(s.Image, p.Child("image"))
}

func validateTemplate(t *v1alpha1.AppTemplate, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	cs := t.Containers
	cp := p.Child("containers")
	serving := servingContainer(cs)

	names := make(map[string]bool, len(cs))
	ports := 0
	for i := range cs {
		c, ip := &cs[i], cp.Index(i)
		switch {
		case i == 0 && c.Image != "":
			errs = append(errs, field.Forbidden(ip.Child("image"),
				"the app's own (first) container runs spec.image (or the image spec.build made); leave its image out"))
		case i > 0 && c.Image == "":
			errs = append(errs, field.Required(ip.Child("image"),
				"every container after the first is a sidecar and names its image, such as registry.example.com/team/proxy:1.0"))
		case i > 0:
			errs = append(errs, resources.ValidateImage(c.Image, ip.Child("image"))...)
		}
		if c.Name != "" {
			np := ip.Child("name")
			switch {
			case names[c.Name]:
				e := field.Duplicate(np, c.Name)
				e.Detail = "container names must be unique within the App"
				errs = append(errs, e)
			case reservedContainerNames.Has(c.Name):
				errs = append(errs, field.Invalid(np, c.Name, "queue-proxy is the name of Knative's own container; choose another"))
			case len(validation.IsDNS1123Label(c.Name)) > 0:
				errs = append(errs, field.Invalid(np, c.Name,
					"must be a DNS-1123 label: at most 63 lower-case letters, digits and -, starting and ending with a letter or digit"))
			}
			names[c.Name] = true
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
	if sa := t.ServiceAccountName; sa != "" {
		for _, msg := range validation.IsDNS1123Subdomain(sa) {
			errs = append(errs, field.Invalid(p.Child("serviceAccountName"), sa, "must be a ServiceAccount name: "+msg))
		}
	}
	if ts := t.TimeoutSeconds; ts != nil && (*ts < 1 || *ts > 3600) {
		errs = append(errs, field.Invalid(p.Child("timeoutSeconds"), *ts, "must be between 1 and 3600 seconds"))
	}
	if cc := t.ContainerConcurrency; cc != nil && (*cc < 0 || *cc > 1000) {
		errs = append(errs, field.Invalid(p.Child("containerConcurrency"), *cc, "must be between 0 (no limit) and 1000"))
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

func validateScaling(s *v1alpha1.Scaling, p *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	for _, b := range []struct {
		name string
		v    *int32
	}{{"minScale", s.MinScale}, {"maxScale", s.MaxScale}} {
		if b.v != nil && (*b.v < 0 || *b.v > 1000) {
			errs = append(errs, field.Invalid(p.Child(b.name), *b.v, "must be between 0 and 1000"))
		}
	}
	if s.MinScale != nil && s.MaxScale != nil && *s.MaxScale != 0 && *s.MinScale > *s.MaxScale {
		errs = append(errs, field.Invalid(p.Child("minScale"), *s.MinScale,
			fmt.Sprintf("must not be above maxScale (%d); maxScale 0 means no limit", *s.MaxScale)))
	}
	if s.Target != nil && *s.Target < 1 {
		errs = append(errs, field.Invalid(p.Child("target"), *s.Target, "must be at least 1"))
	}
	switch s.Metric {
	case "", v1alpha1.ScalingMetricConcurrency, v1alpha1.ScalingMetricRPS, v1alpha1.ScalingMetricCPU:
	case v1alpha1.ScalingMetricMemory:
		if s.Target == nil {
			errs = append(errs, field.Required(p.Child("target"),
				"metric memory needs a target, the memory per pod in MiB that Knative's HPA keeps (such as 512); "+
					"without one the HPA has no memory metric and scales on CPU at 80% instead"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("metric"), s.Metric, []v1alpha1.ScalingMetric{
			v1alpha1.ScalingMetricConcurrency, v1alpha1.ScalingMetricRPS, v1alpha1.ScalingMetricCPU, v1alpha1.ScalingMetricMemory}))
	}
	return errs
}

func validateDomain(d *v1alpha1.Domain, p *field.Path) field.ErrorList {
	if d == nil {
		return nil
	}
	np := p.Child("name")
	const allowed = "the first label of the App's host: a DNS label of at most 63 lower-case letters, digits and -, starting and ending with a letter or digit"
	if d.Name == "" {
		return field.ErrorList{field.Required(np, allowed+"; or leave spec.domain out to use the App's name")}
	}
	if len(validation.IsDNS1123Label(d.Name)) > 0 {
		return field.ErrorList{field.Invalid(np, d.Name, "must be "+allowed)}
	}
	return nil
}

// validateRelease is v1alpha1.ValidateRelease plus what only the App's name
// tells: named revisions must be the App's, whose names all start with
// <app>- (Knative names a Configuration's revisions <name>-00001, and
// bring-your-own names must start with <name>-).
func validateRelease(app *v1alpha1.App, p *field.Path) field.ErrorList {
	r := app.Spec.Release
	if r == nil {
		return nil
	}
	errs := v1alpha1.ValidateRelease(r, p)
	prefix := app.Name + "-"
	revision := func(fp *field.Path, rev string) {
		if app.Name != "" && !strings.HasPrefix(rev, prefix) {
			errs = append(errs, field.Invalid(fp, rev, fmt.Sprintf(
				"must name a revision of this App; its revisions are named %s<suffix> (see status.revisions)", prefix)))
		}
	}
	if r.Stable != "" {
		revision(p.Child("stable"), r.Stable)
	}
	if c := r.Canary; c != nil {
		cp := p.Child("canary", "revision")
		switch {
		case c.Revision == "":
			errs = append(errs, field.Required(cp, `a revision of this App, or "latest" for the latest revision`))
		case c.Revision != v1alpha1.CanaryLatest:
			revision(cp, c.Revision)
		}
	}
	return errs
}

func validateLogs(l *v1alpha1.Logs, containers []v1alpha1.Container, p *field.Path) field.ErrorList {
	if l == nil {
		return nil
	}
	var errs field.ErrorList
	errs = append(errs, validateLogsPath(l.Path, p.Child("path"))...)
	if l.Container != "" {
		names := PodContainerNames(containers)
		found := false
		for _, n := range names {
			found = found || n == l.Container
		}
		if !found {
			errs = append(errs, field.NotSupported(p.Child("container"), l.Container, names))
		}
	}
	return errs
}

func validateLogsPath(lp string, p *field.Path) field.ErrorList {
	const what = "the directory in the container where the app writes its log files, such as /var/log/app"
	switch {
	case lp == "":
		return field.ErrorList{field.Required(p, what)}
	case strings.ContainsFunc(lp, unicode.IsControl):
		return field.ErrorList{field.Invalid(p, lp, "must not contain control characters; want "+what)}
	case !strings.HasPrefix(lp, "/"):
		return field.ErrorList{field.Invalid(p, lp, "must be an absolute path, "+what)}
	case lp == "/":
		return field.ErrorList{field.Invalid(p, lp, "must be a directory below /, not / itself: "+what)}
	}
	for _, el := range strings.Split(lp, "/") {
		if el == ".." {
			return field.ErrorList{field.Invalid(p, lp, "must not contain '..'; want "+what)}
		}
	}
	// Container paths are Linux paths: package path, not filepath.
	if c := path.Clean(lp); c != lp {
		return field.ErrorList{field.Invalid(p, lp, fmt.Sprintf("must be a clean path (no trailing /, // or /./): write %q", c))}
	}
	for _, tree := range reservedLogTrees {
		if lp == tree || strings.HasPrefix(lp, tree+"/") {
			return field.ErrorList{field.Invalid(p, lp, fmt.Sprintf(
				"must not be %s or below it: the container runtime or kubelet mounts there (not allowed: %s and below); want %s",
				tree, strings.Join(reservedLogTrees, ", "), what))}
		}
	}
	if reservedLogDirs.Has(lp) {
		return field.ErrorList{field.Invalid(p, lp, fmt.Sprintf(
			"must not be %s itself: a node directory mounted there hides the image's own files (not allowed: %s); a directory below it, such as %s, is fine",
			lp, strings.Join(sets.List(reservedLogDirs), ", "), path.Join(lp, "log", "app")))}
	}
	return nil
}

// PodContainerNames are the names the App's containers have in its pods:
// their own, or Knative's default for unnamed ones (user-container for a
// single container; user-container-0, -1, ... skipping names in use, when
// there are several), as Knative's defaulting names them with the default
// container-name-template.
func PodContainerNames(cs []v1alpha1.Container) []string {
	if len(cs) == 0 {
		return []string{UserContainerName}
	}
	given := sets.New[string]()
	for i := range cs {
		given.Insert(cs[i].Name)
	}
	out := make([]string, len(cs))
	next := 0
	for i := range cs {
		if cs[i].Name != "" {
			out[i] = cs[i].Name
			continue
		}
		n := UserContainerName
		if len(cs) > 1 || given.Has(n) {
			for {
				n = kmeta.ChildName(UserContainerName, "-"+strconv.Itoa(next))
				next++
				if !given.Has(n) {
					break
				}
			}
		}
		out[i] = n
	}
	return out
}

// validateBuild is resources.ValidateBuild (git URL and revision, image
// repository, dockerfile and context, template, registry and hook Secret
// names, hook branch) plus the CRD's bounds of historyLimit.
func validateBuild(b *v1alpha1.BuildSpec, p *field.Path) field.ErrorList {
	if b == nil {
		return nil
	}
	errs := resources.ValidateBuild(b, p)
	if h := b.HistoryLimit; h != nil && (*h < 1 || *h > 50) {
		errs = append(errs, field.Invalid(p.Child("historyLimit"), *h, "must be between 1 and 50 finished builds"))
	}
	return errs
}
