package v1alpha1

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

const commit = "3f7c2a9e41b05d6c8e9f0a1b2c3d4e5f60718293"

// buildSpec is a valid build from git, changed by mutate.
func buildSpec(mutate ...func(*BuildSpec)) *BuildSpec {
	b := &BuildSpec{
		Git:             GitSource{URL: "https://git.example.com/team-a/shop.git"},
		ImageRepository: "registry.example.com/team-a/shop",
	}
	for _, m := range mutate {
		m(b)
	}
	return b
}

func TestGitRevision(t *testing.T) {
	if got := (*BuildSpec)(nil).GitRevision(); got != "main" {
		t.Errorf("nil: %q", got)
	}
	if got := (&BuildSpec{}).GitRevision(); got != "main" {
		t.Errorf("empty: %q", got)
	}
	if got := (&BuildSpec{Git: GitSource{Revision: "v2"}}).GitRevision(); got != "v2" {
		t.Errorf("v2: %q", got)
	}
}

func TestValidateBuild(t *testing.T) {
	path := field.NewPath("spec", "build")
	valid := []func(*BuildSpec){
		func(b *BuildSpec) {},
		func(b *BuildSpec) { b.Git.URL = "http://git.internal/team/shop" },
		func(b *BuildSpec) { b.Git.URL = "https://git.example.com:8443/team/shop.git" },
		func(b *BuildSpec) { b.Git.URL = "https://ci@git.example.com/team/shop.git" },
		func(b *BuildSpec) { b.Git.URL = "ssh://git@git.example.com:2222/team/shop.git" },
		func(b *BuildSpec) { b.Git.URL = "git@github.com:team-a/shop.git" },
		func(b *BuildSpec) { b.Git.Revision = "release/1.4" },
		func(b *BuildSpec) { b.Git.Revision = commit },
		func(b *BuildSpec) { b.Git.Revision = "v1.4.2" },
		func(b *BuildSpec) { b.ImageRepository = "registry.example.com:5000/team/shop" },
		func(b *BuildSpec) { b.ImageRepository = "localhost:5000/shop" },
		func(b *BuildSpec) { b.ImageRepository = "ghcr.io/team-a/shop_api.v2" },
		func(b *BuildSpec) { b.Dockerfile, b.Context = "build/Dockerfile.prod", "./services/shop" },
		func(b *BuildSpec) { b.Dockerfile, b.Context = "Dockerfile", "." },
		func(b *BuildSpec) { b.Context = "a..b/..c" }, // .. only as a whole part
		func(b *BuildSpec) {
			b.TemplateRef = &TemplateRef{Name: "team-build"}
			b.RegistrySecretName = "registry-push"
			b.Hook = &BuildHook{SecretName: "hook-token", Branch: "main"}
		},
	}
	for i, mutate := range valid {
		b := buildSpec(mutate)
		if errs := ValidateBuild(b, path); len(errs) > 0 {
			t.Errorf("valid case %d refused: %v", i, errs)
		}
	}
	if errs := ValidateBuild(nil, path); len(errs) > 0 {
		t.Errorf("nil build: %v", errs)
	}

	invalid := []struct {
		field  string
		mutate func(*BuildSpec)
	}{
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "git.example.com/team/shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "ftp://git.example.com/team/shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "file:///srv/git/shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "ext::sh -c touch% /tmp/pwned" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "https:///team/shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "ssh://git@/team/shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "https://git.example.com" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "https://git.example.com:port/shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "https://git.example.com/team shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "https://user:secret@git.example.com/shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "git@github.com" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "github.com:team/shop" }},
		{"spec.build.git.url", func(b *BuildSpec) { b.Git.URL = "--upload-pack=touch /tmp/x" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "my branch" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "main..dev" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "HEAD~1" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "v1^{}" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "a:b" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "feat*" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = `a\b` }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "--upload-pack=x" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "main.lock" }},
		{"spec.build.git.revision", func(b *BuildSpec) { b.Git.Revision = "feature/" }},
		{"spec.build.imageRepository", func(b *BuildSpec) { b.ImageRepository = "registry.example.com/team/shop:1.0" }},
		{"spec.build.imageRepository", func(b *BuildSpec) {
			b.ImageRepository = "registry.example.com/team/shop@sha256:" + strings.Repeat("a", 64)
		}},
		{"spec.build.imageRepository", func(b *BuildSpec) { b.ImageRepository = "registry.example.com/Team/Shop" }},
		{"spec.build.imageRepository", func(b *BuildSpec) { b.ImageRepository = "https://registry.example.com/team/shop" }},
		{"spec.build.imageRepository", func(b *BuildSpec) { b.ImageRepository = "registry.example.com/team//shop" }},
		{"spec.build.dockerfile", func(b *BuildSpec) { b.Dockerfile = "/etc/Dockerfile" }},
		{"spec.build.dockerfile", func(b *BuildSpec) { b.Dockerfile = "../Dockerfile" }},
		{"spec.build.context", func(b *BuildSpec) { b.Context = "services/../../etc" }},
		{"spec.build.context", func(b *BuildSpec) { b.Context = "/" }},
		{"spec.build.templateRef.name", func(b *BuildSpec) { b.TemplateRef = &TemplateRef{Name: "Team_Build"} }},
		{"spec.build.registrySecretName", func(b *BuildSpec) { b.RegistrySecretName = "registry push" }},
		{"spec.build.hook.branch", func(b *BuildSpec) { b.Hook = &BuildHook{SecretName: "hook", Branch: "feature..x"} }},
		{"spec.build.hook.branch", func(b *BuildSpec) { b.Hook = &BuildHook{SecretName: "hook", Branch: "what?"} }},
		{"spec.build.hook.secretName", func(b *BuildSpec) { b.Hook = &BuildHook{SecretName: "Hook!"} }},
	}
	for _, tc := range invalid {
		b := buildSpec(tc.mutate)
		errs := ValidateBuild(b, path)
		if len(errs) == 0 {
			t.Errorf("%s: accepted %+v", tc.field, *b)
			continue
		}
		for _, e := range errs {
			if e.Field != tc.field {
				t.Errorf("%s: error names %s: %v", tc.field, e.Field, e)
			}
		}
	}

	// A password in the URL is not repeated in the error.
	b := buildSpec(func(b *BuildSpec) { b.Git.URL = "https://user:s3cr3t@git.example.com/shop" })
	if errs := ValidateBuild(b, path); strings.Contains(errs.ToAggregate().Error(), "s3cr3t") {
		t.Errorf("error repeats the password: %v", errs)
	}
	// Every field at fault is reported, not just the first.
	b = buildSpec(func(b *BuildSpec) { b.Git.URL, b.ImageRepository, b.Context = "nope", "", "../x" })
	if errs := ValidateBuild(b, path); len(errs) != 3 {
		t.Errorf("want 3 errors, got %v", errs)
	}
}
