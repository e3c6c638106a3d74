package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
// image repository, template ref, registry secret>. The same trigger always
// gives the same name, so a restart of knapp or a replayed hook never starts
// the same build twice. What asked for the build (t.Source) is not part of
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
	params := []wfv1.Parameter{
		buildParam(BuildParamGitURL, b.Git.URL),
		buildParam(BuildParamGitRevision, revision),
		buildParam(BuildParamDockerfile, b.DockerfileOrDefault()),
		buildParam(BuildParamContext, b.ContextOrDefault()),
		buildParam(BuildParamImageRepository, b.ImageRepository),
		buildParam(BuildParamImageTag, BuildImageTag(revision)),
	}
	if b.RegistrySecretName != "" {
		params = append(params, buildParam(BuildParamRegistrySecret, b.RegistrySecretName))
	}
	return &wfv1.Workflow{
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
			Arguments:           wfv1.Arguments{Parameters: params},
		},
	}
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
