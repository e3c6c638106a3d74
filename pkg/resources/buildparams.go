package resources

import (
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"knapp.dev/knapp/api/v1alpha1"
)

// buildParamFields names the spec.build field each parameter comes from.
var buildParamFields = map[string]string{
	BuildParamGitURL:          "spec.build.git.url",
	BuildParamGitRevision:     "spec.build.git.revision",
	BuildParamDockerfile:      "spec.build.dockerfile",
	BuildParamContext:         "spec.build.context",
	BuildParamImageRepository: "spec.build.imageRepository",
	BuildParamImageTag:        "spec.build.git.revision",
	BuildParamRegistrySecret:  "spec.build.registrySecretName",
	BuildParamGitSecret:       "spec.build.git.secretName",
	BuildParamBuildArgs:       "spec.build.buildArgs",
	BuildParamCacheRepository: "spec.build.cacheRepository",
}

// UndeclaredBuildParams are the parameters a build of app sets that a
// template declaring declared does not take. Argo passes such a parameter
// to nothing, so the build would run without it.
func UndeclaredBuildParams(app *v1alpha1.App, declared []wfv1.Parameter) []string {
	has := make(map[string]bool, len(declared))
	for _, p := range declared {
		has[p.Name] = true
	}
	var missing []string
	for _, p := range buildParams(buildSpec(app), buildSpec(app).GitRevision()) {
		if !has[p.Name] {
			missing = append(missing, p.Name)
		}
	}
	return missing
}

// BuildParamFields names the spec.build fields of params, for a message.
func BuildParamFields(params []string) string {
	fields := make([]string, len(params))
	for i, p := range params {
		fields[i] = p + " from " + buildParamFields[p]
	}
	return strings.Join(fields, ", ")
}
