package v1alpha1

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateImage accepts what a registry client (and Knative) can pull: a
// repository with an optional registry, tag and digest.
func ValidateImage(image string, p *field.Path) field.ErrorList {
	if _, err := name.ParseReference(image); err != nil {
		return field.ErrorList{field.Invalid(p, image,
			"not a valid image reference (want [registry/]repository[:tag][@sha256:digest], with a lower-case repository): "+err.Error())}
	}
	return nil
}

// ValidateImageRepository checks spec.build.imageRepository: a repository
// without tag or digest, by the grammar registries accept.
func ValidateImageRepository(repo string, p *field.Path) field.ErrorList {
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
	if msg := ImageRepositoryProblem(repo); msg != "" {
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

// ImageRepositoryProblem says what is wrong with an image repository without tag
// or digest, or "". go-containerregistry's parser is lenient about empty
// path components and schemes; distribution's grammar is what registries
// and kaniko's --destination accept.
func ImageRepositoryProblem(repo string) string {
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
