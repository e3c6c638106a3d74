package v1alpha1

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
		func(b *BuildSpec) { b.Git.SecretName = "git-token" },
		func(b *BuildSpec) { b.Git.URL, b.Git.SecretName = "git@github.com:team-a/shop.git", "deploy-key" },
		func(b *BuildSpec) {
			b.BuildArgs = []BuildArg{{Name: "GO_VERSION", Value: "1.26"}, {Name: "_x9"}, {Name: "Q", Value: `"$(id)" 'a b' \n`}}
		},
		func(b *BuildSpec) { b.CacheRepository = "registry.example.com/team-a/shop-cache" },
		func(b *BuildSpec) { b.Timeout = &metav1.Duration{Duration: time.Minute} },
		func(b *BuildSpec) { b.Timeout = &metav1.Duration{Duration: 6 * time.Hour} },
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
		{"spec.build.git.secretName", func(b *BuildSpec) { b.Git.SecretName = "Git Token" }},
		// A token over plain http would cross the network readable.
		{"spec.build.git.secretName", func(b *BuildSpec) { b.Git.URL, b.Git.SecretName = "http://git.internal/shop", "git-token" }},
		{"spec.build.buildArgs[0].name", func(b *BuildSpec) { b.BuildArgs = []BuildArg{{Name: "1X"}} }},
		{"spec.build.buildArgs[0].name", func(b *BuildSpec) { b.BuildArgs = []BuildArg{{Name: "A-B"}} }},
		{"spec.build.buildArgs[0].name", func(b *BuildSpec) { b.BuildArgs = []BuildArg{{Name: ""}} }},
		{"spec.build.buildArgs[1].name", func(b *BuildSpec) { b.BuildArgs = []BuildArg{{Name: "A"}, {Name: "A"}} }},
		// One line each: a newline would smuggle in a second argument.
		{"spec.build.buildArgs[0].value", func(b *BuildSpec) { b.BuildArgs = []BuildArg{{Name: "A", Value: "1\nB=2"}} }},
		{"spec.build.buildArgs[0].value", func(b *BuildSpec) { b.BuildArgs = []BuildArg{{Name: "A", Value: "{{workflow.name}}"}} }},
		{"spec.build.buildArgs", func(b *BuildSpec) {
			for i := 0; i <= MaxBuildArgs; i++ {
				b.BuildArgs = append(b.BuildArgs, BuildArg{Name: fmt.Sprintf("A%d", i)})
			}
		}},
		{"spec.build.cacheRepository", func(b *BuildSpec) { b.CacheRepository = "registry.example.com/team/cache:latest" }},
		{"spec.build.cacheRepository", func(b *BuildSpec) { b.CacheRepository = b.ImageRepository }},
		{"spec.build.timeout", func(b *BuildSpec) { b.Timeout = &metav1.Duration{Duration: 30 * time.Second} }},
		{"spec.build.timeout", func(b *BuildSpec) { b.Timeout = &metav1.Duration{Duration: 7 * time.Hour} }},
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

func TestGitSecretProblem(t *testing.T) {
	secret := func(typ corev1.SecretType, data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "git"}, Type: typ, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	const sshURL, scpURL, httpsURL = "ssh://git@git.example.com/team-a/shop.git", "git@git.example.com:team-a/shop.git", "https://git.example.com/team-a/shop.git"
	sshKey := secret(corev1.SecretTypeSSHAuth, map[string]string{"ssh-privatekey": "KEY", "known_hosts": "git.example.com ssh-ed25519 AAAA"})
	token := secret(corev1.SecretTypeBasicAuth, map[string]string{"username": "ci", "password": "TOKEN"})
	for _, ok := range []struct {
		url    string
		secret *corev1.Secret
	}{{sshURL, sshKey}, {scpURL, sshKey}, {httpsURL, token}} {
		if why := GitSecretProblem(ok.url, ok.secret); why != "" {
			t.Errorf("%s with %s refused: %s", ok.url, ok.secret.Type, why)
		}
	}
	for _, bad := range []struct {
		url    string
		secret *corev1.Secret
		want   string
	}{
		{sshURL, secret(corev1.SecretTypeSSHAuth, map[string]string{"ssh-privatekey": "KEY"}), "no key known_hosts"},
		{sshURL, secret(corev1.SecretTypeSSHAuth, map[string]string{"ssh-privatekey": "KEY", "known_hosts": ""}), "no key known_hosts"},
		{scpURL, secret(corev1.SecretTypeSSHAuth, map[string]string{"known_hosts": "x"}), "no key ssh-privatekey"},
		{sshURL, token, `of type "kubernetes.io/basic-auth", not kubernetes.io/ssh-auth`},
		{httpsURL, sshKey, `of type "kubernetes.io/ssh-auth", not kubernetes.io/basic-auth`},
		{httpsURL, secret(corev1.SecretTypeOpaque, map[string]string{"username": "ci", "password": "TOKEN"}), `of type "Opaque"`},
		{httpsURL, secret(corev1.SecretTypeBasicAuth, map[string]string{"username": "ci"}), "no key password"},
		{"http://git.internal/shop", token, "https:// and ssh only"},
	} {
		why := GitSecretProblem(bad.url, bad.secret)
		if !strings.Contains(why, bad.want) || !strings.Contains(why, "team-a/git") {
			t.Errorf("%s with %s %v: %q, want it to name the Secret and say %q", bad.url, bad.secret.Type, keys(bad.secret), why, bad.want)
		}
		// The message goes to status and events: never a key's content.
		for _, v := range bad.secret.Data {
			if len(v) > 1 && strings.Contains(why, string(v)) {
				t.Errorf("message repeats a Secret value: %q", why)
			}
		}
	}
}

func keys(s *corev1.Secret) []string {
	var out []string
	for k := range s.Data {
		out = append(out, k)
	}
	return out
}
