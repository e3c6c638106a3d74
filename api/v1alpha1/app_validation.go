package v1alpha1

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"knative.dev/pkg/kmeta"
)

// MaxAppNameLength is the longest App name: revision names are
// <name>-<10 hex digits> and must fit in a DNS label (63), with room for
// Knative's derived names. The CRD says the same.
const MaxAppNameLength = 49

// UserContainerName is the name Knative gives an unnamed container when the
// Service has one container (Knative's default container-name-template,
// config.DefaultUserContainerName); with several, unnamed containers become
// user-container-0, -1, ...
const UserContainerName = "user-container"

// QueueProxyContainerName is the name of Knative's own container in every
// pod of a revision (Knative's revision resources.QueueContainerName); no
// container of the App may take it.
const QueueProxyContainerName = "queue-proxy"

// Validate checks every rule of the App that can be checked on the App
// alone, except Knative Serving's own rules for the pod, which the App
// webhook checks by running Knative's validation on the Service the App
// makes. Each error names the field at fault and says what is allowed.
// Rules that depend on other objects (which revisions exist, who holds a
// host) are the reconciler's.
func (a *App) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateName(a.Name, field.NewPath("metadata", "name"))...)
	spec := field.NewPath("spec")
	errs = append(errs, validateImageSource(&a.Spec, spec)...)
	errs = append(errs, validateTemplate(&a.Spec.Template, spec.Child("template"))...)
	errs = append(errs, validateScaling(a.Spec.Scaling, spec.Child("scaling"))...)
	errs = append(errs, validateDomain(a.Spec.Domain, spec.Child("domain"))...)
	errs = append(errs, validateAppRelease(a, spec.Child("release"))...)
	errs = append(errs, validateLogs(a.Spec.Logs, a.Spec.Template.Containers, spec.Child("logs"))...)
	errs = append(errs, ValidateBuild(a.Spec.Build, spec.Child("build"))...)
	errs = append(errs, ValidateSchedules(a.Spec.Schedules, spec.Child("schedules"))...)
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
func validateImageSource(s *AppSpec, p *field.Path) field.ErrorList {
	if s.Image == "" {
		if s.Build == nil {
			return field.ErrorList{field.Required(p.Child("image"),
				"set spec.image to an image reference such as registry.example.com/team/app:1.0, or spec.build to build one from git")}
		}
		return nil
	}
	return ValidateImage(s.Image, p.Child("image"))
}

// validateTemplate checks the App's own rules of spec.template: which
// containers name an image, unique DNS-1123 container names, and the
// bounds of the revision settings.
func validateTemplate(t *AppTemplate, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	cp := p.Child("containers")
	names := make(map[string]bool, len(t.Containers))
	for i := range t.Containers {
		c, ip := &t.Containers[i], cp.Index(i)
		errs = append(errs, ValidateContainerImage(c, i, ip.Child("image"))...)
		if c.Name != "" {
			np := ip.Child("name")
			switch {
			case names[c.Name]:
				e := field.Duplicate(np, c.Name)
				e.Detail = "container names must be unique within the App"
				errs = append(errs, e)
			case len(validation.IsDNS1123Label(c.Name)) > 0:
				errs = append(errs, field.Invalid(np, c.Name,
					"must be a DNS-1123 label: at most 63 lower-case letters, digits and -, starting and ending with a letter or digit"))
			}
			names[c.Name] = true
		}
		errs = append(errs, validatePodRules(c, ip)...)
	}
	for i := range t.InitContainers {
		c, ip := &t.InitContainers[i], p.Child("initContainers").Index(i)
		errs = append(errs, ValidateInitContainerImage(c, ip.Child("image"))...)
		if c.Name != "" {
			np := ip.Child("name")
			if names[c.Name] {
				e := field.Duplicate(np, c.Name)
				e.Detail = "container names must be unique within the App, init containers included"
				errs = append(errs, e)
			}
			names[c.Name] = true
		}
		errs = append(errs, validatePodRules(c, ip)...)
	}
	errs = append(errs, validatePodMetadata(t, p)...)
	errs = append(errs, validateVolumes(t, p)...)
	if sa := t.ServiceAccountName; sa != "" {
		for _, msg := range validation.IsDNS1123Subdomain(sa) {
			errs = append(errs, field.Invalid(p.Child("serviceAccountName"), sa, "must be a ServiceAccount name: "+msg))
		}
	}
	if ts := t.TimeoutSeconds; ts != nil && (*ts < 1 || *ts > 3600) {
		errs = append(errs, field.Invalid(p.Child("timeoutSeconds"), *ts, "must be between 1 and 3600 seconds"))
	}
	// Knative Serving checks neither (v0.50): a timeout past the request's
	// own would never fire, so it is refused rather than ignored.
	for _, sub := range []struct {
		name  string
		value *int64
	}{{"responseStartTimeoutSeconds", t.ResponseStartTimeoutSeconds}, {"idleTimeoutSeconds", t.IdleTimeoutSeconds}} {
		switch v := sub.value; {
		case v == nil:
		case *v < 1 || *v > 3600:
			errs = append(errs, field.Invalid(p.Child(sub.name), *v, "must be between 1 and 3600 seconds"))
		case t.TimeoutSeconds != nil && *v > *t.TimeoutSeconds:
			errs = append(errs, field.Invalid(p.Child(sub.name), *v,
				fmt.Sprintf("must not be above spec.template.timeoutSeconds (%d): the request ends first", *t.TimeoutSeconds)))
		}
	}
	if cc := t.ContainerConcurrency; cc != nil && (*cc < 0 || *cc > 1000) {
		errs = append(errs, field.Invalid(p.Child("containerConcurrency"), *cc, "must be between 0 (no limit) and 1000"))
	}
	return errs
}

// validatePodRules are the rules of Kubernetes' pod validation that
// Knative's own validation leaves to the apiserver (which would refuse only
// the Deployment, long after the App was admitted): environment variable
// names and port numbers. Knative's rules are checked on the Service the
// App makes (resources.ValidateInKnative).
func validatePodRules(c *Container, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range c.Env {
		if n := c.Env[i].Name; n != "" {
			if msgs := validation.IsEnvVarName(n); len(msgs) > 0 {
				// apimachinery's message says what is allowed.
				errs = append(errs, field.Invalid(p.Child("env").Index(i).Child("name"), n, strings.Join(msgs, "; ")))
			}
		}
	}
	for i := range c.Ports {
		if n := c.Ports[i].ContainerPort; n < 1 || n > 65535 {
			errs = append(errs, field.Invalid(p.Child("ports").Index(i).Child("containerPort"), n, "must be a port number between 1 and 65535"))
		}
	}
	return errs
}

// ValidateInitContainerImage: an init container names its image; it is
// never the built one.
func ValidateInitContainerImage(c *Container, p *field.Path) field.ErrorList {
	if c.Image == "" {
		return field.ErrorList{field.Required(p, "an init container names its image, such as registry.example.com/team/migrate:1.0")}
	}
	return ValidateImage(c.Image, p)
}

// ValidateContainerImage is the image rule of container i: the first runs
// spec.image (or the built image) and names none; every other is a sidecar
// and names its own.
func ValidateContainerImage(c *Container, i int, p *field.Path) field.ErrorList {
	switch {
	case i == 0 && c.Image != "":
		return field.ErrorList{field.Forbidden(p,
			"the app's own (first) container runs spec.image (or the image spec.build made); leave its image out")}
	case i > 0 && c.Image == "":
		return field.ErrorList{field.Required(p,
			"every container after the first is a sidecar and names its image (required), such as registry.example.com/team/proxy:1.0")}
	case i > 0:
		return ValidateImage(c.Image, p)
	}
	return nil
}

// ValidateScaling checks scaling by the App's own rules; the platform
// config checks its environments' defaults with it. Knative's rules of the
// settings are Knative's (on the Service, and resources.ValidateEnvironments).
func ValidateScaling(s *Scaling, p *field.Path) field.ErrorList { return validateScaling(s, p) }

func validateScaling(s *Scaling, p *field.Path) field.ErrorList {
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
	case "", ScalingMetricConcurrency, ScalingMetricRPS, ScalingMetricCPU:
	case ScalingMetricMemory:
		if s.Target == nil {
			errs = append(errs, field.Required(p.Child("target"),
				"metric memory needs a target, the memory per pod in MiB that Knative's HPA keeps (such as 512); "+
					"without one the HPA has no memory metric and scales on CPU at 80% instead"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("metric"), s.Metric, []ScalingMetric{
			ScalingMetricConcurrency, ScalingMetricRPS, ScalingMetricCPU, ScalingMetricMemory}))
	}
	return errs
}

func validateDomain(d *Domain, p *field.Path) field.ErrorList {
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

// validateAppRelease is ValidateRelease plus what only the App's name
// tells: named revisions must be the App's, whose names all start with
// <app>- (Knative names a Configuration's revisions <name>-00001, and
// bring-your-own names must start with <name>-).
func validateAppRelease(app *App, p *field.Path) field.ErrorList {
	r := app.Spec.Release
	if r == nil {
		return nil
	}
	errs := ValidateRelease(r, p)
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
		case c.Revision != CanaryLatest:
			revision(cp, c.Revision)
		}
	}
	for i, t := range r.Tags {
		tp := p.Child("tags").Index(i)
		if t.Revision != "" && t.Revision != CanaryLatest {
			revision(tp.Child("revision"), t.Revision)
		}
		// The tag's host label is <tag>-<app> (Knative's tag-template).
		if host := t.Name + "-" + app.Name; app.Name != "" && len(host) > 63 {
			errs = append(errs, field.TooLong(tp.Child("name"), t.Name, 63-len(app.Name)-1))
		}
	}
	return errs
}

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

func validateLogs(l *Logs, containers []Container, p *field.Path) field.ErrorList {
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

const logsPathWhat = "the directory in the container where the app writes its log files, such as /var/log/app"

func validateLogsPath(lp string, p *field.Path) field.ErrorList {
	if errs := logsPathSyntax(lp, p); len(errs) > 0 {
		return errs
	}
	// Container paths are Linux paths: package path, not filepath.
	if c := path.Clean(lp); c != lp {
		return field.ErrorList{field.Invalid(p, lp, fmt.Sprintf("must be a clean path (no trailing /, // or /./): write %q", c))}
	}
	return logsMountPoint(lp, p)
}

// ValidateLogsMountPath is what the pod webhook checks of spec.logs.path
// before it mounts a node directory there, and the path it mounts: the
// rules of spec.logs.path, on the path cleaned (an App stored before the
// App webhook existed may have one with a trailing /). What cleaning would
// hide (a relative path, ..) is refused first.
func ValidateLogsMountPath(lp string, p *field.Path) (string, field.ErrorList) {
	if errs := logsPathSyntax(lp, p); len(errs) > 0 {
		return "", errs
	}
	clean := path.Clean(lp)
	if clean == "/" {
		return "", field.ErrorList{field.Invalid(p, lp, "must be a directory below /, not / itself: "+logsPathWhat)}
	}
	if errs := logsMountPoint(clean, p); len(errs) > 0 {
		return "", errs
	}
	return clean, nil
}

// logsPathSyntax: a non-empty absolute path below /, without control
// characters or .. elements.
func logsPathSyntax(lp string, p *field.Path) field.ErrorList {
	switch {
	case lp == "":
		return field.ErrorList{field.Required(p, logsPathWhat)}
	case strings.ContainsFunc(lp, unicode.IsControl):
		return field.ErrorList{field.Invalid(p, lp, "must not contain control characters; want "+logsPathWhat)}
	case !strings.HasPrefix(lp, "/"):
		return field.ErrorList{field.Invalid(p, lp, "must be an absolute path, "+logsPathWhat)}
	case lp == "/":
		return field.ErrorList{field.Invalid(p, lp, "must be a directory below /, not / itself: "+logsPathWhat)}
	}
	for _, el := range strings.Split(lp, "/") {
		if el == ".." {
			return field.ErrorList{field.Invalid(p, lp, "must not contain '..'; want "+logsPathWhat)}
		}
	}
	return nil
}

// logsMountPoint refuses the clean paths where a node directory must not
// be mounted.
func logsMountPoint(lp string, p *field.Path) field.ErrorList {
	for _, tree := range reservedLogTrees {
		if lp == tree || strings.HasPrefix(lp, tree+"/") {
			return field.ErrorList{field.Invalid(p, lp, fmt.Sprintf(
				"must not be %s or below it: the container runtime or kubelet mounts there (not allowed: %s and below); want %s",
				tree, strings.Join(reservedLogTrees, ", "), logsPathWhat))}
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
func PodContainerNames(cs []Container) []string {
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
