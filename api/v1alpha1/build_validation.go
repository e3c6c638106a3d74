package v1alpha1

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxBuildHistoryLimit is the CRD's bound of spec.build.historyLimit, and
// the most builds status.build lists.
const MaxBuildHistoryLimit = 50

// The bounds of spec.build.timeout.
const (
	MinBuildTimeout = time.Minute
	MaxBuildTimeout = 6 * time.Hour
)

// MaxBuildArgs is the CRD's bound of spec.build.buildArgs.
const MaxBuildArgs = 64

// buildArgName is what a Dockerfile ARG may be called.
var buildArgName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// scpLikeGitURL is git's scp-like syntax, user@host:path.
var scpLikeGitURL = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[^\s]+$`)

// ValidateBuild checks what the CRD cannot about spec.build: the git URL,
// image repository, dockerfile and context paths, git revision and hook
// branch, the names of the Secrets and template, and the bounds of
// historyLimit (the CRD's too, for an App stored before it had them).
// Errors are under path (spec.build).
func ValidateBuild(b *BuildSpec, path *field.Path) field.ErrorList {
	if b == nil {
		return nil
	}
	var errs field.ErrorList
	errs = append(errs, validateGitURL(b.Git.URL, path.Child("git", "url"))...)
	if b.Git.Revision != "" {
		errs = append(errs, validateGitRef(b.Git.Revision, path.Child("git", "revision"))...)
	}
	errs = append(errs, ValidateImageRepository(b.ImageRepository, path.Child("imageRepository"))...)
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
	if h := b.HistoryLimit; h != nil && (*h < 1 || *h > MaxBuildHistoryLimit) {
		errs = append(errs, field.Invalid(path.Child("historyLimit"), *h, fmt.Sprintf("must be between 1 and %d finished builds", MaxBuildHistoryLimit)))
	}
	errs = append(errs, validateGitSecret(b.Git, path.Child("git", "secretName"))...)
	errs = append(errs, validateBuildArgs(b.BuildArgs, path.Child("buildArgs"))...)
	if b.CacheRepository != "" {
		p := path.Child("cacheRepository")
		errs = append(errs, ValidateImageRepository(b.CacheRepository, p)...)
		if b.CacheRepository == b.ImageRepository {
			errs = append(errs, field.Invalid(p, b.CacheRepository, "must differ from spec.build.imageRepository: the builder pushes a tag per cached layer there"))
		}
	}
	if t := b.Timeout; t != nil && (t.Duration < MinBuildTimeout || t.Duration > MaxBuildTimeout) {
		errs = append(errs, field.Invalid(path.Child("timeout"), t.Duration.String(), fmt.Sprintf("must be between %s and %s", MinBuildTimeout, MaxBuildTimeout)))
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
	if msg := argoTemplateProblem(raw); msg != "" {
		return field.ErrorList{field.Invalid(p, raw, msg)}
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
	if msg := argoTemplateProblem(s); msg != "" {
		return field.ErrorList{field.Invalid(p, s, msg)}
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
	if msg := GitRefProblem(s); msg != "" {
		return field.ErrorList{field.Invalid(p, s, "not a valid git branch, tag or commit: "+msg)}
	}
	return nil
}

// GitRefProblem says why s can be no git branch, tag or commit that a build
// may be given ("" when it can): git's rules, and no Argo template syntax.
// The hook API checks a pushed revision with it too.
func GitRefProblem(s string) string {
	if msg := argoTemplateProblem(s); msg != "" {
		return msg
	}
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

// argoTemplateProblem: Argo Workflows evaluates {{...}} (and the
// expressions of {{=...}}) in a Workflow's arguments, in its controller,
// which every tenant shares; no build field may carry that syntax.
func argoTemplateProblem(s string) string {
	if strings.Contains(s, "{{") || strings.Contains(s, "}}") {
		return "must not contain {{ or }}: Argo Workflows would evaluate it as a template or expression in the build's parameters"
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

func validateBuildArgs(args []BuildArg, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(args) > MaxBuildArgs {
		errs = append(errs, field.TooMany(p, len(args), MaxBuildArgs))
	}
	seen := map[string]bool{}
	for i, a := range args {
		ap := p.Index(i)
		switch {
		case !buildArgName.MatchString(a.Name):
			errs = append(errs, field.Invalid(ap.Child("name"), a.Name, "must be a Dockerfile ARG name: letters, digits and _, not starting with a digit"))
		case seen[a.Name]:
			errs = append(errs, field.Duplicate(ap.Child("name"), a.Name))
		}
		seen[a.Name] = true
		// The build gets its arguments one per line.
		if strings.ContainsFunc(a.Value, isControl) {
			errs = append(errs, field.Invalid(ap.Child("value"), a.Value, "must be one line without control characters"))
		} else if msg := argoTemplateProblem(a.Value); msg != "" {
			errs = append(errs, field.Invalid(ap.Child("value"), a.Value, msg))
		}
	}
	return errs
}
