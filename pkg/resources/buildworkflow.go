package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// Trigger sources, the value of label knapp.dev/build-trigger.
const (
	// BuildTriggerSpec: a change of spec.build asked for the build.
	BuildTriggerSpec = "spec"
	// BuildTriggerHook: a call of the hook API asked for the build.
	BuildTriggerHook = "hook"
)

// The parameters of the build template (config/build/knapp-build.yaml) that
// a build Workflow sets. A custom template must take the same ones.
const (
	BuildParamGitURL          = "git-url"
	BuildParamGitRevision     = "git-revision"
	BuildParamDockerfile      = "dockerfile"
	BuildParamContext         = "context"
	BuildParamImageRepository = "image-repository"
	BuildParamImageTag        = "image-tag"
	BuildParamRegistrySecret  = "registry-secret"
	BuildParamGitSecret       = "git-secret"
	BuildParamBuildArgs       = "build-args"
	BuildParamCacheRepository = "cache-repository"
)

// buildHashLength is how many hex digits of the inputs' hash a build
// Workflow's name carries.
const buildHashLength = 8

// BuildTrigger is one reason to build: the git revision to build and what
// asked for it.
type BuildTrigger struct {
	// Revision of git to build: a branch, tag or commit.
	Revision string
	// Source is what asked: BuildTriggerSpec or BuildTriggerHook.
	Source string
}

// BuildWorkflowName is deterministic per App and build inputs:
// <app>-b<8 hex digits of sha256 over git url, revision, dockerfile, context,
// image repository, template ref, registry secret, and the git secret,
// build arguments, cache repository and timeout where set>. The same
// trigger always gives the same name, so a restart of knapp or a replayed
// hook never starts the same build twice. What asked for the build (t.Source) is not part of
// it: a hook for the revision the spec already built is the same build.
// Defaults count as their values, so spelling out dockerfile: Dockerfile
// changes nothing. For an App name of at most 49 characters (the App CRD's
// limit) the name has at most 49+2+8 = 59 characters.
func BuildWorkflowName(app *v1alpha1.App, t BuildTrigger) string {
	b := buildSpec(app)
	ref := ""
	if b.TemplateRef != nil {
		ref = b.TemplateRef.Name
		if b.TemplateRef.ClusterScope {
			ref = "cluster/" + ref
		}
	}
	h := sha256.New()
	for _, s := range []string{
		b.Git.URL,
		triggerRevision(b, t),
		b.DockerfileOrDefault(),
		b.ContextOrDefault(),
		b.ImageRepository,
		ref,
		b.RegistrySecretName,
	} {
		// Each input ends in a NUL, which none can hold, so that moving text
		// from one input to the next changes the hash.
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	// Inputs added later count only when set, each under its name, so the
	// builds of Apps that do not use them keep their names (an upgrade of
	// knapp must not rebuild every App).
	for _, in := range laterBuildInputs(b) {
		h.Write([]byte(in.name + "=" + in.value))
		h.Write([]byte{0})
	}
	return app.Name + "-b" + hex.EncodeToString(h.Sum(nil))[:buildHashLength]
}

var (
	commitSHA   = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
	tagUnsafe   = regexp.MustCompile(`[^A-Za-z0-9_.-]`)
	maxTagLen   = 128
	shortSHALen = 12
)

// BuildImageTag is the tag the build pushes: the revision made tag-safe
// (characters other than [A-Za-z0-9_.-] become -, a leading . or - becomes
// _, at most 128 characters), a full commit id shortened to 12 hex digits.
// An empty revision gives "latest". Tags are for people: knapp runs the
// image by digest, so two revisions whose tags coincide do no harm.
func BuildImageTag(revision string) string {
	if revision == "" {
		return "latest"
	}
	if commitSHA.MatchString(revision) {
		return revision[:shortSHALen]
	}
	tag := tagUnsafe.ReplaceAllString(revision, "-")
	if tag[0] == '.' || tag[0] == '-' {
		tag = "_" + tag[1:]
	}
	if len(tag) > maxTagLen {
		tag = tag[:maxTagLen]
	}
	return tag
}

// MakeBuildWorkflow makes the Argo Workflow for a trigger, owned by the App.
// It references the build template (spec.build.templateRef, else the
// platform's) and sets the template's parameters; it sets no service
// account and nothing else that grants Kubernetes access: the template runs
// without credentials but the registry's.
func MakeBuildWorkflow(app *v1alpha1.App, t BuildTrigger, cfg platform.Config) *wfv1.Workflow {
	b := buildSpec(app)
	revision := triggerRevision(b, t)
	ref := &wfv1.WorkflowTemplateRef{Name: cfg.BuildTemplate.Name, ClusterScope: cfg.BuildTemplate.ClusterScope}
	if b.TemplateRef != nil {
		ref = &wfv1.WorkflowTemplateRef{Name: b.TemplateRef.Name, ClusterScope: b.TemplateRef.ClusterScope}
	}
	wf := &wfv1.Workflow{
		TypeMeta: metav1.TypeMeta{APIVersion: wfv1.SchemeGroupVersion.String(), Kind: "Workflow"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      BuildWorkflowName(app, t),
			Namespace: app.Namespace,
			Labels: map[string]string{
				v1alpha1.LabelApp:          app.Name,
				v1alpha1.LabelBuildTrigger: t.Source,
			},
			Annotations:     map[string]string{v1alpha1.AnnotationBuildRevision: revision},
			OwnerReferences: []metav1.OwnerReference{ownerReference(app)},
		},
		Spec: wfv1.WorkflowSpec{
			WorkflowTemplateRef: ref,
			Arguments:           wfv1.Arguments{Parameters: buildParams(b, revision)},
		},
	}
	if b.Timeout != nil {
		// The Workflow's own deadline wins over its template's.
		wf.Spec.ActiveDeadlineSeconds = ptr.To(int64(b.Timeout.Duration.Seconds()))
	}
	return wf
}

// buildParams are the template's parameters for a build of revision.
// registry-secret, git-secret, build-args and cache-repository are set only
// where spec.build asks for them, so a custom template without them keeps
// working for the Apps that do not (knapp refuses to start a build whose
// template lacks a parameter it sets: UndeclaredBuildParams). The git
// Secret goes by name only: its keys never enter the Workflow.
func buildParams(b *v1alpha1.BuildSpec, revision string) []wfv1.Parameter {
	params := []wfv1.Parameter{
		buildParam(BuildParamGitURL, b.Git.URL),
		buildParam(BuildParamGitRevision, revision),
		buildParam(BuildParamDockerfile, b.DockerfileOrDefault()),
		buildParam(BuildParamContext, b.ContextOrDefault()),
		buildParam(BuildParamImageRepository, b.ImageRepository),
		buildParam(BuildParamImageTag, BuildImageTag(revision)),
	}
	add := func(name, value string) {
		if value != "" {
			params = append(params, buildParam(name, value))
		}
	}
	add(BuildParamRegistrySecret, b.RegistrySecretName)
	add(BuildParamGitSecret, b.Git.SecretName)
	add(BuildParamBuildArgs, BuildArgsParam(b.BuildArgs))
	add(BuildParamCacheRepository, b.CacheRepository)
	return params
}

// BuildArgsParam is the build-args parameter: NAME=value, one per line
// (v1alpha1 keeps values to one line), which the template's build step
// turns into one --build-arg each.
func BuildArgsParam(args []v1alpha1.BuildArg) string {
	lines := make([]string, len(args))
	for i, a := range args {
		lines[i] = a.Name + "=" + a.Value
	}
	return strings.Join(lines, "\n")
}

type buildInput struct{ name, value string }

// laterBuildInputs are the build inputs added after the first release of
// the build name's hash, those that are set.
func laterBuildInputs(b *v1alpha1.BuildSpec) []buildInput {
	var in []buildInput
	if b.Git.SecretName != "" {
		in = append(in, buildInput{"git-secret", b.Git.SecretName})
	}
	if len(b.BuildArgs) > 0 {
		in = append(in, buildInput{"build-args", BuildArgsParam(b.BuildArgs)})
	}
	if b.CacheRepository != "" {
		in = append(in, buildInput{"cache-repository", b.CacheRepository})
	}
	if b.Timeout != nil {
		in = append(in, buildInput{"timeout", b.Timeout.Duration.String()})
	}
	return in
}

func buildParam(name, value string) wfv1.Parameter {
	return wfv1.Parameter{Name: name, Value: wfv1.AnyStringPtr(value)}
}

// buildSpec is the App's spec.build, or an empty one.
func buildSpec(app *v1alpha1.App) *v1alpha1.BuildSpec {
	if app.Spec.Build == nil {
		return &v1alpha1.BuildSpec{}
	}
	return app.Spec.Build
}

// triggerRevision is the trigger's revision, or the spec's when it names none.
func triggerRevision(b *v1alpha1.BuildSpec, t BuildTrigger) string {
	if t.Revision != "" {
		return t.Revision
	}
	return b.GitRevision()
}
