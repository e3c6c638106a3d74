package platform

import (
	"strings"
	"testing"
)

func TestBuildPolicy(t *testing.T) {
	cfg := Default()
	cfg.Builds = BuildPolicy{ClusterTemplates: []string{"kaniko"}, ImageRepositoryPrefix: "registry.example.com/{namespace}/"}
	for _, tc := range []struct {
		name         string
		clusterScope bool
		want         string
	}{
		{"knapp-build", true, ""},
		{"kaniko", true, ""},
		{"team-template", false, ""},
		{"someone-elses", true, "ClusterWorkflowTemplate someone-elses is not one the platform allows Apps to build with (platform config buildTemplate and builds.clusterTemplates: knapp-build, kaniko)"},
	} {
		if got := cfg.BuildTemplateProblem(tc.name, tc.clusterScope); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("BuildTemplateProblem(%s, %v) = %q, want %q", tc.name, tc.clusterScope, got, tc.want)
		}
	}
	if got := cfg.ImageRepositoryNotAllowed("team-a", "registry.example.com/team-a/shop"); got != "" {
		t.Errorf("its own repository: %q", got)
	}
	if got := cfg.ImageRepositoryNotAllowed("team-a", "registry.example.com/team-b/shop"); !strings.Contains(got, "must start with registry.example.com/team-a/ (platform config builds.imageRepositoryPrefix") {
		t.Errorf("another team's repository: %q", got)
	}
	if got := Default().ImageRepositoryNotAllowed("team-a", "evil.example.com/x"); got != "" {
		t.Errorf("no prefix set refuses: %q", got)
	}
	cfg.Builds.ImageRepositoryPrefix = "registry.example.com/{namespace}"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "builds.imageRepositoryPrefix") {
		t.Errorf("a prefix without / : %v", err)
	}
}
