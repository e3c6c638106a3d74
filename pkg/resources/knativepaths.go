package resources

import (
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"knative.dev/pkg/apis"
	"knative.dev/serving/pkg/apis/autoscaling"
	"knative.dev/serving/pkg/apis/serving"

	"knapp.dev/knapp/api/v1alpha1"
)

// KnativeFieldErrors turns Knative Serving's refusal of the Service made
// from app into errors of the App's own fields: the builders copy
// spec.template into the revision's pod spec and spec.scaling into its
// annotations, so each of Knative's paths has one App field it came from.
// Knative reports some lists without an index (it checks only the first
// port, and a one-of of an envFrom entry); the App says which entry.
func KnativeFieldErrors(app *v1alpha1.App, ferr *apis.FieldError) field.ErrorList {
	var out field.ErrorList
	seen := map[string]bool{}
	add := func(e *field.Error) {
		if key := string(e.Type) + "\x00" + e.Field + "\x00" + e.Detail; !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	for _, leaf := range ferr.WrappedErrors() {
		if len(leaf.Paths) == 0 {
			add(field.Invalid(field.NewPath("spec", "template"), field.OmitValueType{}, knativeDetail(leaf)))
			continue
		}
		if oneOf := strings.HasPrefix(leaf.Message, "expected exactly one"); oneOf {
			// Paths are the alternatives: one error at their parent.
			parent, choices := splitAlternatives(leaf.Paths)
			p := appPath(app, parent, leaf.Message)
			if strings.HasSuffix(leaf.Message, "got both") {
				add(field.Forbidden(p, "set only one of "+strings.Join(choices, ", ")))
			} else {
				add(field.Required(p, "set one of "+strings.Join(choices, ", ")))
			}
			continue
		}
		for _, kp := range leaf.Paths {
			add(knativeError(app, kp, leaf))
		}
	}
	if len(out) == 0 {
		// Knative refused without a leaf that has a message: still one error,
		// never none (callers report the first).
		out = append(out, field.Invalid(field.NewPath("spec"), field.OmitValueType{}, "Knative Serving refuses it: "+ferr.Error()))
	}
	return out
}

// knativeError is the App's error for one of Knative's paths.
func knativeError(app *v1alpha1.App, knativePath string, leaf *apis.FieldError) *field.Error {
	p := appPath(app, knativePath, leaf.Message)
	switch {
	case leaf.Message == "missing field(s)":
		return field.Required(p, missingHint(p))
	case strings.HasPrefix(leaf.Message, "must not set the field(s)"):
		return forbidden(app, p)
	}
	detail := knativeDetail(leaf)
	for _, h := range invalidHints {
		if strings.HasSuffix(p.String(), h.suffix) {
			detail += "; " + h.hint
		}
	}
	return field.Invalid(p, field.OmitValueType{}, detail)
}

// invalidHints say what is allowed where Knative's message does not.
var invalidHints = []struct{ suffix, hint string }{
	{".protocol", "Knative allows only TCP (or leave protocol out)"},
	{".containerPort", "listen on another port, such as 8080"},
	{"spec.template.timeoutSeconds", "the cluster's limit is max-revision-timeout-seconds in config-defaults (knative-serving)"},
	{"spec.scaling.maxScale", "the cluster's limit is max-scale-limit in config-autoscaler (knative-serving)"},
	{"spec.scaling.minScale", "minScale may not be above the cluster's max-scale-limit in config-autoscaler (knative-serving)"},
	{"spec.scaling.initialScale", "at least 1; 0 only where allow-zero-initial-scale is true in config-autoscaler (knative-serving)"},
}

// knativeDetail is Knative's message with its details (only the details
// when they repeat the message).
func knativeDetail(leaf *apis.FieldError) string {
	msg := strings.TrimPrefix(leaf.Message, "invalid value: ")
	switch {
	case leaf.Details != "" && strings.Contains(leaf.Details, msg):
		msg = leaf.Details
	case leaf.Details != "":
		msg += ": " + leaf.Details
	}
	return "Knative Serving refuses it: " + msg
}

// splitAlternatives: the common parent of a one-of's paths and the choices.
func splitAlternatives(paths []string) (string, []string) {
	parent, _, _ := cutLast(paths[0])
	choices := make([]string, 0, len(paths))
	for _, p := range paths {
		_, leaf, _ := cutLast(p)
		choices = append(choices, leaf)
	}
	return parent, choices
}

func cutLast(p string) (string, string, bool) {
	i := strings.LastIndex(p, ".")
	if i < 0 {
		return "", p, false
	}
	return p[:i], p[i+1:], true
}

const (
	knativePodPath             = "spec.template.spec."
	knativeTemplateAnnotations = "spec.template.metadata.annotations."
)

// scalingFields are the App fields behind the autoscaling annotations
// ScalingAnnotations writes.
var scalingFields = map[string]string{
	autoscaling.MinScaleAnnotationKey:                 "minScale",
	autoscaling.MaxScaleAnnotationKey:                 "maxScale",
	autoscaling.TargetAnnotationKey:                   "target",
	autoscaling.MetricAnnotationKey:                   "metric",
	autoscaling.ClassAnnotationKey:                    "metric",
	autoscaling.InitialScaleAnnotationKey:             "initialScale",
	autoscaling.TargetUtilizationPercentageKey:        "targetUtilization",
	autoscaling.ActivationScaleKey:                    "activationScale",
	autoscaling.PanicWindowPercentageAnnotationKey:    "panicWindowPercentage",
	autoscaling.PanicThresholdPercentageAnnotationKey: "panicThresholdPercentage",
	autoscaling.ScaleDownDelayAnnotationKey:           "scaleDownDelay",
	autoscaling.WindowAnnotationKey:                   "window",
}

// scalingField is the spec.scaling field behind the autoscaling annotation
// a path of Knative names. Knative writes some rules into the path after
// the key ("initial-scale=0 not allowed by cluster"): the longest key that
// starts it wins (target is a prefix of target-utilization-percentage).
func scalingField(path string) (string, bool) {
	if f, ok := scalingFields[path]; ok {
		return f, true
	}
	best := ""
	for k := range scalingFields {
		if strings.HasPrefix(path, k) && len(k) > len(best) {
			best = k
		}
	}
	return scalingFields[best], best != ""
}

var containerPathRE = regexp.MustCompile(`^containers(\[(\d+)\]|\[\*\])(\.(.*))?$`)

// appPath is the App's field behind one of Knative's paths of the Service.
func appPath(app *v1alpha1.App, knativePath, message string) *field.Path {
	tmpl := field.NewPath("spec", "template")
	switch {
	case strings.HasPrefix(knativePath, knativeTemplateAnnotations):
		if f, ok := scalingField(strings.TrimPrefix(knativePath, knativeTemplateAnnotations)); ok {
			return field.NewPath("spec", "scaling", f)
		}
		return field.NewPath("spec", "scaling")
	case strings.HasPrefix(knativePath, knativePodPath):
		rest := strings.TrimPrefix(knativePath, knativePodPath)
		if m := containerPathRE.FindStringSubmatch(rest); m != nil {
			return containerPath(app, tmpl.Child("containers"), m[2], m[4], message)
		}
		return pathOf(tmpl, rest)
	case knativePath == "spec.template.spec" || knativePath == "spec.template":
		return tmpl
	case strings.HasPrefix(knativePath, "spec.traffic"):
		return field.NewPath("spec", "release")
	case knativePath == "metadata.annotations."+serving.RolloutDurationKey:
		return field.NewPath("spec", "release", "rolloutDuration")
	case strings.HasPrefix(knativePath, "metadata"):
		return field.NewPath("metadata", "name")
	}
	return field.NewPath("spec")
}

// containerPath maps a path below containers[index] (index "" for Knative's
// containers[*], a rule of all containers together).
func containerPath(app *v1alpha1.App, cp *field.Path, index, rest, message string) *field.Path {
	cs := app.Spec.Template.Containers
	if index == "" {
		// Only the serving port is checked across containers: none with
		// sidecars (the first container's), or more than one (the second).
		if strings.HasPrefix(message, "more than one") {
			if i, j, ok := secondPort(cs); ok {
				return cp.Index(i).Child("ports").Index(j)
			}
		}
		return cp.Index(0).Child("ports")
	}
	i, _ := strconv.Atoi(index)
	p := cp.Index(i)
	if rest == "" {
		return p
	}
	var c *v1alpha1.Container
	if i < len(cs) {
		c = &cs[i]
	}
	head, tail, _ := strings.Cut(rest, ".")
	switch {
	case head == "ports" && c != nil && len(c.Ports) > 0:
		// Knative checks the first port only (the serving port).
		return pathOf(p.Child("ports").Index(0), tail)
	case head == "envFrom" && c != nil:
		// Knative's one-of of an entry has no index: the first entry
		// with neither or both sources is the one.
		if j, ok := envFromAtFault(c, strings.HasSuffix(message, "got both")); ok {
			return pathOf(p.Child("envFrom").Index(j), tail)
		}
	}
	return pathOf(p, rest)
}

// secondPort is the container and index of the second port of all.
func secondPort(cs []v1alpha1.Container) (int, int, bool) {
	seen := 0
	for i := range cs {
		for j := range cs[i].Ports {
			if seen++; seen == 2 {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

func envFromAtFault(c *v1alpha1.Container, both bool) (int, bool) {
	for j, src := range c.EnvFrom {
		if hasCM, hasSecret := src.ConfigMapRef != nil, src.SecretRef != nil; hasCM == hasSecret && hasCM == both {
			return j, true
		}
	}
	return 0, false
}

var indexRE = regexp.MustCompile(`^([^\[]+)\[(\d+)\]$`)

// pathOf appends Knative's dotted path (with [i] indexes) to base.
func pathOf(base *field.Path, dotted string) *field.Path {
	p := base
	if dotted == "" {
		return p
	}
	for _, part := range strings.Split(dotted, ".") {
		if m := indexRE.FindStringSubmatch(part); m != nil {
			i, _ := strconv.Atoi(m[2])
			p = p.Child(m[1]).Index(i)
			continue
		}
		p = p.Child(part)
	}
	return p
}

// missingHint says what a field Knative requires must hold.
func missingHint(p *field.Path) string {
	if strings.HasSuffix(p.String(), ".ports") {
		return "with sidecars Knative needs the port requests go to: set ports to [{containerPort: <the port the app listens on>}] on the app's (first) container"
	}
	return "Knative Serving requires it"
}

// knativeFlags name the config-features flag behind a field Knative
// refuses while the flag is off.
var knativeFlags = []struct {
	suffix, flag string
}{
	{".valueFrom.fieldRef", "kubernetes.podspec-fieldref"},
	{".valueFrom.resourceFieldRef", "kubernetes.podspec-fieldref"},
	// The PodSpec fields Knative's config-features gates (knative.dev/serving
	// pkg/apis/config/features.go), by the App field they come from.
	{"spec.template.tolerations", "kubernetes.podspec-tolerations"},
	{"spec.template.affinity", "kubernetes.podspec-affinity"},
	{"spec.template.initContainers", "kubernetes.podspec-init-containers"},
	{"spec.template.nodeSelector", "kubernetes.podspec-nodeselector"},
	{"spec.template.priorityClassName", "kubernetes.podspec-priorityclassname"},
	{"spec.template.runtimeClassName", "kubernetes.podspec-runtimeclassname"},
	{"spec.template.topologySpreadConstraints", "kubernetes.podspec-topologyspreadconstraints"},
	{"spec.template.schedulerName", "kubernetes.podspec-schedulername"},
	{"spec.template.dnsPolicy", "kubernetes.podspec-dnspolicy"},
	{"spec.template.dnsConfig", "kubernetes.podspec-dnsconfig"},
	{"spec.template.hostAliases", "kubernetes.podspec-hostaliases"},
	{".persistentVolumeClaim", "kubernetes.podspec-persistent-volume-claim"},
	{".securityContext.capabilities.add", "kubernetes.containerspec-addcapabilities"},
}

// knativeFlagPrefixes are flags behind fields below an App field: the pod
// security context's fields that Knative's PodSecurityContextMask lets
// through with kubernetes.podspec-securitycontext (sysctls, SELinux and
// Windows options it never does).
var knativeFlagPrefixes = []struct {
	prefix, flag string
}{
	{"spec.template.securityContext.runAsUser", "kubernetes.podspec-securitycontext"},
	{"spec.template.securityContext.runAsGroup", "kubernetes.podspec-securitycontext"},
	{"spec.template.securityContext.runAsNonRoot", "kubernetes.podspec-securitycontext"},
	{"spec.template.securityContext.fsGroup", "kubernetes.podspec-securitycontext"},
	{"spec.template.securityContext.supplementalGroups", "kubernetes.podspec-securitycontext"},
	{"spec.template.securityContext.seccompProfile", "kubernetes.podspec-securitycontext"},
}

// forbidden says why Knative refuses a field: a flag of its
// config-features that is off, or a field Knative never allows.
func forbidden(app *v1alpha1.App, p *field.Path) *field.Error {
	s := p.String()
	flagOff := func(flag string) *field.Error {
		return field.Forbidden(p, flag+" is disabled in config-features (knative-serving); ask the platform team to enable it, or leave the field out")
	}
	for _, f := range knativeFlags {
		if strings.HasSuffix(s, f.suffix) {
			return flagOff(f.flag)
		}
	}
	for _, f := range knativeFlagPrefixes {
		if strings.HasPrefix(s, f.prefix) {
			return flagOff(f.flag)
		}
	}
	// Knative names every field of a sidecar's probe; the probe is at fault.
	if probe := sidecarProbe(app, s); probe != nil {
		return field.Forbidden(probe,
			"multi-container-probing is disabled in config-features (knative-serving): probes of a sidecar need it; ask the platform team to enable it, or leave the probe out")
	}
	return field.Forbidden(p, "Knative Serving does not allow this field here; leave it out")
}

var sidecarProbeRE = regexp.MustCompile(`^spec\.template\.containers\[(\d+)\]\.(livenessProbe|readinessProbe|startupProbe)`)

// sidecarProbe is the probe s is in, when it is a probe of a container that
// does not take the App's requests.
func sidecarProbe(app *v1alpha1.App, s string) *field.Path {
	m := sidecarProbeRE.FindStringSubmatch(s)
	if m == nil {
		return nil
	}
	i, _ := strconv.Atoi(m[1])
	cs := app.Spec.Template.Containers
	if len(cs) < 2 || i >= len(cs) || len(cs[i].Ports) > 0 {
		return nil
	}
	return field.NewPath("spec", "template", "containers").Index(i).Child(m[2])
}
