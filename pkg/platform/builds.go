package platform

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// BuildPolicy says what an App's builds may use, so that one team cannot
// run another's ClusterWorkflowTemplate or push into another team's
// repository.
type BuildPolicy struct {
	// ClusterTemplates are the ClusterWorkflowTemplates an App may name in
	// spec.build.templateRef besides the platform's buildTemplate. A
	// namespaced WorkflowTemplate is the team's own and always allowed.
	ClusterTemplates []string `json:"clusterTemplates,omitempty"`
	// ImageRepositoryPrefix, if set, is what every spec.build.imageRepository
	// must start with; {namespace} stands for the App's namespace, such as
	// registry.example.com/{namespace}/.
	ImageRepositoryPrefix string `json:"imageRepositoryPrefix,omitempty"`
}

// BuildTemplateProblem says why an App may not build with the template
// ("" when it may), naming the platform setting that decides.
func (c Config) BuildTemplateProblem(name string, clusterScope bool) string {
	if !clusterScope || name == c.BuildTemplate.Name && c.BuildTemplate.ClusterScope || slices.Contains(c.Builds.ClusterTemplates, name) {
		return ""
	}
	allowed := append([]string{}, c.Builds.ClusterTemplates...)
	if c.BuildTemplate.ClusterScope {
		allowed = append([]string{c.BuildTemplate.Name}, allowed...)
	}
	return fmt.Sprintf("ClusterWorkflowTemplate %s is not one the platform allows Apps to build with (platform config buildTemplate and builds.clusterTemplates: %s); "+
		"leave templateRef out, name an allowed one, or a WorkflowTemplate of the App's namespace", name, strings.Join(allowed, ", "))
}

// ImageRepositoryNotAllowed says why the build policy keeps an App of
// namespace from pushing to repo ("" when it may). (Whether repo is an image
// repository at all is v1alpha1.ImageRepositoryProblem.)
func (c Config) ImageRepositoryNotAllowed(namespace, repo string) string {
	prefix := strings.ReplaceAll(c.Builds.ImageRepositoryPrefix, "{namespace}", namespace)
	if prefix == "" || strings.HasPrefix(repo, prefix) {
		return ""
	}
	return fmt.Sprintf("must start with %s (platform config builds.imageRepositoryPrefix %s): each namespace pushes to its own repositories",
		prefix, c.Builds.ImageRepositoryPrefix)
}

func (p BuildPolicy) validate() []error {
	var errs []error
	for _, name := range p.ClusterTemplates {
		if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("builds.clusterTemplates: %q: %s", name, strings.Join(msgs, "; ")))
		}
	}
	if p.ImageRepositoryPrefix != "" && !strings.HasSuffix(p.ImageRepositoryPrefix, "/") {
		errs = append(errs, fmt.Errorf("builds.imageRepositoryPrefix %q: must end with / (a prefix of repositories, such as registry.example.com/{namespace}/)", p.ImageRepositoryPrefix))
	}
	return errs
}
