package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/google/go-containerregistry/pkg/name"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

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

// Defaults of spec.build, as the build template's parameters default them.
const (
	DefaultBuildRevision   = "main"
	DefaultBuildDockerfile = "Dockerfile"
	DefaultBuildContext    = "."
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

// BuildRevision is the revision spec.build asks for (git.revision, default
// "main").
func BuildRevision(b *v1alpha1.BuildSpec) string {
	if b == nil || b.Git.Revision == "" {
		return DefaultBuildRevision
	}
	return b.Git.Revision
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
		orDefault(b.Dockerfile, DefaultBuildDockerfile),
		orDefault(b.Context, DefaultBuildContext),
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
		buildParam(BuildParamDockerfile, orDefault(b.Dockerfile, DefaultBuildDockerfile)),
		buildParam(BuildParamContext, orDefault(b.Context, DefaultBuildContext)),
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
	return BuildRevision(b)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// scpLikeGitURL is git's scp-like syntax, user@host:path.
var scpLikeGitURL = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[^\s]+$`)

// ValidateBuild checks what the CRD cannot about spec.build: the git URL,
// image repository, dockerfile and context paths, git revision and hook
// branch, and the names of the Secrets and template. Errors are under path
// (spec.build).
func ValidateBuild(b *v1alpha1.BuildSpec, path *field.Path) field.ErrorList {
	if b == nil {
		return nil
	}
	var errs field.ErrorList
	errs = append(errs, validateGitURL(b.Git.URL, path.Child("git", "url"))...)
	if b.Git.Revision != "" {
		errs = append(errs, validateGitRef(b.Git.Revision, path.Child("git", "revision"))...)
	}
	errs = append(errs, validateImageRepository(b.ImageRepository, path.Child("imageRepository"))...)
	errs = append(errs, validateRelativePath(b.Dockerfile, path.Child("dockerfile"))...)
	errs = append(errs, validateRelativePath(b.Context, path.Child("context"))...)
	if b.TemplateRef != nil {
		errs = append(errs, validateObjectName(b.TemplateRef.Name, path.Child("templateRef", "name"))...)
	}
	if b.RegistrySecretName != "" {
		errs = append(errs, validateObjectName(b.RegistrySecretName, path.Child("registrySecretName"))...)
	}
	if b.Hook != nil {
		errs = append(errs, validateObjectName(b.Hook.SecretName, path.Child("hook", "secretName"))...)
		if b.Hook.Branch != "" {
			errs = append(errs, validateGitRef(b.Hook.Branch, path.Child("hook", "branch"))...)
		}
	}
	return errs
}

func validateGitURL(raw string, p *field.Path) field.ErrorList {
	const allowed = "use https://host/path, http://host/path, ssh://[user@]host[:port]/path or user@host:path"
	if raw == "" {
		return field.ErrorList{field.Required(p, allowed)}
	}
	if strings.ContainsFunc(raw, isSpaceOrControl) {
		return field.ErrorList{field.Invalid(p, raw, "must not contain spaces or control characters")}
	}
	scheme, _, hasScheme := strings.Cut(raw, "://")
	if !hasScheme {
		if scpLikeGitURL.MatchString(raw) {
			return nil
		}
		return field.ErrorList{field.Invalid(p, raw, "not a git URL: "+allowed)}
	}
	switch strings.ToLower(scheme) {
	case "https", "http", "ssh":
	default:
		return field.ErrorList{field.Invalid(p, raw, "scheme "+scheme+" is not allowed: "+allowed)}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Invalid(p, raw, "malformed URL: "+err.Error())}
	}
	if u.Hostname() == "" {
		return field.ErrorList{field.Invalid(p, raw, "the URL has no host: "+allowed)}
	}
	if strings.Trim(u.Path, "/") == "" {
		return field.ErrorList{field.Invalid(p, raw, "the URL names no repository (empty path): "+allowed)}
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		// Redact: the value would end up in the App's status and events.
		return field.ErrorList{field.Invalid(p, u.Redacted(), "must not carry a password or token; the spec is readable by everyone who may read the App")}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return field.ErrorList{field.Invalid(p, raw, "must not have a query or fragment")}
	}
	return nil
}

func validateImageRepository(repo string, p *field.Path) field.ErrorList {
	if repo == "" {
		return field.ErrorList{field.Required(p, "a repository such as registry.example.com/team-a/shop")}
	}
	if strings.Contains(repo, "@") {
		return field.ErrorList{field.Invalid(p, repo, "must not carry a digest: the build pushes a tag and reports the digest")}
	}
	// A colon after the last slash is a tag (one before it is a registry's port).
	if i := strings.LastIndex(repo, "/"); strings.Contains(repo[i+1:], ":") {
		return field.ErrorList{field.Invalid(p, repo, "must not carry a tag: the build tags the image with the git revision")}
	}
	if msg := repositoryProblem(repo); msg != "" {
		return field.ErrorList{field.Invalid(p, repo, "not an image repository: "+msg)}
	}
	return nil
}

var (
	// The grammar of github.com/distribution/reference: a registry host with
	// an optional port, and path components of lower-case letters and digits
	// joined by ., _, __ or dashes.
	registryHost  = regexp.MustCompile(`^(localhost|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]+)?$`)
	repoComponent = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)
)

// repositoryProblem says what is wrong with an image repository without tag
// or digest, or "". go-containerregistry's parser is lenient about empty
// path components and schemes; distribution's grammar is what registries
// and kaniko's --destination accept.
func repositoryProblem(repo string) string {
	if _, err := name.NewRepository(repo); err != nil {
		return err.Error()
	}
	if len(repo) > 255 {
		return "longer than 255 characters"
	}
	parts := strings.Split(repo, "/")
	if first := parts[0]; len(parts) > 1 && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if !registryHost.MatchString(first) {
			return fmt.Sprintf("registry %q is not a host name with an optional port", first)
		}
		parts = parts[1:]
	}
	for _, c := range parts {
		if !repoComponent.MatchString(c) {
			return fmt.Sprintf("path component %q must be lower-case letters and digits, separated by ., _, __ or -", c)
		}
	}
	return ""
}

func validateRelativePath(s string, p *field.Path) field.ErrorList {
	if s == "" {
		return nil
	}
	if strings.HasPrefix(s, "/") {
		return field.ErrorList{field.Invalid(p, s, "must be a path relative to the repository's root, not absolute")}
	}
	if strings.ContainsFunc(s, isControl) || strings.Contains(s, `\`) {
		return field.ErrorList{field.Invalid(p, s, `must not contain control characters or \`)}
	}
	for _, part := range strings.Split(s, "/") {
		if part == ".." {
			return field.ErrorList{field.Invalid(p, s, "must not contain '..': the path must stay within the repository")}
		}
	}
	return nil
}

// validateGitRef checks a branch, tag or commit by git's rules for ref names
// (git check-ref-format), and refuses a leading - (git would read an option).
func validateGitRef(s string, p *field.Path) field.ErrorList {
	if msg := gitRefProblem(s); msg != "" {
		return field.ErrorList{field.Invalid(p, s, "not a valid git branch, tag or commit: "+msg)}
	}
	return nil
}

func gitRefProblem(s string) string {
	switch {
	case s == "@":
		return "must not be @"
	case strings.HasPrefix(s, "-"):
		return "must not start with -"
	case strings.ContainsFunc(s, isSpaceOrControl):
		return "must not contain spaces or control characters"
	case strings.ContainsAny(s, "~^:?*[\\"):
		return `must not contain any of ~ ^ : ? * [ \`
	case strings.Contains(s, ".."):
		return "must not contain .."
	case strings.Contains(s, "@{"):
		return "must not contain @{"
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//"):
		return "must not start or end with / or contain //"
	case strings.HasSuffix(s, "."):
		return "must not end with ."
	}
	for _, part := range strings.Split(s, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return "no part between slashes may start with . or end with .lock"
		}
	}
	return ""
}

func validateObjectName(s string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(s) {
		errs = append(errs, field.Invalid(p, s, msg))
	}
	return errs
}

func isControl(r rune) bool { return unicode.IsControl(r) }

func isSpaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }
