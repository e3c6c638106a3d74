package appvalidation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
)

// validApp is an App every rule accepts.
func validApp(opts ...func(*v1alpha1.App)) *v1alpha1.App {
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-a"},
		Spec: v1alpha1.AppSpec{
			Image: "registry.example.com/team-a/shop:1.4.2",
		},
	}
	for _, o := range opts {
		o(app)
	}
	return app
}

// fullApp uses every part of the spec, validly.
func fullApp(opts ...func(*v1alpha1.App)) *v1alpha1.App {
	return validApp(append([]func(*v1alpha1.App){func(a *v1alpha1.App) {
		a.Spec.Build = &v1alpha1.BuildSpec{
			Git:                v1alpha1.GitSource{URL: "https://git.example.com/team-a/shop.git", Revision: "release/1.4"},
			Dockerfile:         "build/Dockerfile",
			Context:            "services/shop",
			ImageRepository:    "registry.example.com/team-a/shop",
			RegistrySecretName: "registry-push",
			TemplateRef:        &v1alpha1.TemplateRef{Name: "kaniko", ClusterScope: true},
			Hook:               &v1alpha1.BuildHook{SecretName: "git-hook", Branch: "main"},
			HistoryLimit:       ptr.To[int32](10),
		}
		a.Spec.Template = v1alpha1.AppTemplate{
			Containers: []v1alpha1.Container{
				{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: 8080, Name: "h2c"}},
					Env: []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "debug"}, {Name: "my.setting-1", Value: "x"}}},
				{Name: "proxy", Image: "registry.example.com/platform/proxy@sha256:" + strings.Repeat("a", 64),
					Env: []corev1.EnvVar{{Name: "PORT", Value: "9000"}}},
			},
			ServiceAccountName:   "shop",
			TimeoutSeconds:       ptr.To[int64](300),
			ContainerConcurrency: ptr.To[int64](50),

			ResponseStartTimeoutSeconds: ptr.To[int64](30),
			IdleTimeoutSeconds:          ptr.To[int64](300),
		}
		a.Spec.Scaling = &v1alpha1.Scaling{MinScale: ptr.To[int32](1), MaxScale: ptr.To[int32](10), Target: ptr.To[int32](70), Metric: v1alpha1.ScalingMetricCPU}
		a.Spec.Domain = &v1alpha1.Domain{Name: "shop-eu"}
		a.Spec.Release = &v1alpha1.Release{Stable: "shop-00001", Canary: &v1alpha1.Canary{
			Revision: "shop-00002", Percent: 10,
			Match: []v1alpha1.MatchRule{
				{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Exact: ptr.To("true")}}},
				{Path: &v1alpha1.StringMatch{Prefix: ptr.To("/beta/")}, RewritePath: "/"},
				{Cookie: &v1alpha1.CookieMatch{Name: "canary", Value: "yes"}},
			},
		}}
		a.Spec.Logs = &v1alpha1.Logs{Path: "/var/log/shop", Container: "app"}
		a.Spec.Schedules = []v1alpha1.Schedule{
			{Name: "nightly", Schedule: "0 3 * * *", Timezone: "Europe/Berlin", Data: `{"task":"cleanup"}`},
			{Name: "hourly", Schedule: "@hourly", ContentType: "text/plain", Data: "ping"},
		}
	}}, opts...)...)
}

func TestValidAppsPass(t *testing.T) {
	tests := map[string]*v1alpha1.App{
		"minimal": validApp(),
		"full":    fullApp(),
		"build only": validApp(func(a *v1alpha1.App) {
			a.Spec.Image = ""
			a.Spec.Build = &v1alpha1.BuildSpec{Git: v1alpha1.GitSource{URL: "git@github.com:team-a/shop.git"}, ImageRepository: "ghcr.io/team-a/shop"}
		}),
		"image by digest":         validApp(func(a *v1alpha1.App) { a.Spec.Image = "shop@sha256:" + strings.Repeat("0", 64) }),
		"image on docker hub":     validApp(func(a *v1alpha1.App) { a.Spec.Image = "nginx" }),
		"49 character name":       validApp(func(a *v1alpha1.App) { a.Name = "a" + strings.Repeat("b", 48) }),
		"one unnamed container":   validApp(func(a *v1alpha1.App) { a.Spec.Template.Containers = []v1alpha1.Container{{}} }),
		"logs in user-container":  validApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/app/logs", Container: "user-container"} }),
		"logs below /usr and tmp": validApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/usr/src/app/logs"} }),
		"logs in unnamed sidecar": validApp(func(a *v1alpha1.App) {
			a.Spec.Template.Containers = []v1alpha1.Container{{Ports: []corev1.ContainerPort{{ContainerPort: 3000}}}, {Image: "busybox"}}
			a.Spec.Logs = &v1alpha1.Logs{Path: "/tmp/logs", Container: "user-container-1"}
		}),
		"maxScale 0 means unlimited": validApp(func(a *v1alpha1.App) {
			a.Spec.Scaling = &v1alpha1.Scaling{MinScale: ptr.To[int32](3), MaxScale: ptr.To[int32](0)}
		}),
		"memory with target": validApp(func(a *v1alpha1.App) {
			a.Spec.Scaling = &v1alpha1.Scaling{Metric: v1alpha1.ScalingMetricMemory, Target: ptr.To[int32](512)}
		}),
		"canary latest with stable": validApp(func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Stable: "shop-abc", Canary: &v1alpha1.Canary{Revision: "latest", Percent: 5}}
		}),
		"domain starting with a digit": validApp(func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: "1shop"} }),
	}
	for name, app := range tests {
		t.Run(name, func(t *testing.T) {
			if errs := validate(app); len(errs) > 0 {
				t.Errorf("Validate: %v", errs.ToAggregate())
			}
		})
	}
}

func TestValidateRefusesBadApps(t *testing.T) {
	type tc struct {
		name  string
		app   *v1alpha1.App
		field string
		msg   string
	}
	containers := func(cs ...v1alpha1.Container) func(*v1alpha1.App) {
		return func(a *v1alpha1.App) { a.Spec.Template.Containers = cs }
	}
	port := func(n int32) []corev1.ContainerPort { return []corev1.ContainerPort{{ContainerPort: n}} }
	scaling := func(s v1alpha1.Scaling) func(*v1alpha1.App) {
		return func(a *v1alpha1.App) { a.Spec.Scaling = &s }
	}
	canary := func(c v1alpha1.Canary) func(*v1alpha1.App) {
		return func(a *v1alpha1.App) { a.Spec.Release = &v1alpha1.Release{Canary: &c} }
	}
	match := func(rules ...v1alpha1.MatchRule) func(*v1alpha1.App) {
		return canary(v1alpha1.Canary{Revision: "shop-2", Match: rules})
	}
	logs := func(path string) func(*v1alpha1.App) {
		return func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: path} }
	}
	build := func(f func(*v1alpha1.BuildSpec)) func(*v1alpha1.App) {
		return func(a *v1alpha1.App) {
			a.Spec.Build = &v1alpha1.BuildSpec{Git: v1alpha1.GitSource{URL: "https://git.example.com/shop.git"}, ImageRepository: "registry.example.com/shop"}
			f(a.Spec.Build)
		}
	}
	schedule := func(s v1alpha1.Schedule) func(*v1alpha1.App) {
		return func(a *v1alpha1.App) {
			if s.Name == "" {
				s.Name = "nightly"
			}
			if s.Schedule == "" {
				s.Schedule = "0 3 * * *"
			}
			a.Spec.Schedules = []v1alpha1.Schedule{s}
		}
	}

	tests := []tc{
		// metadata.name
		{"name too long", validApp(func(a *v1alpha1.App) { a.Name = strings.Repeat("a", 50) }), "metadata.name", "may not be more than 49"},
		{"name starting with a digit", validApp(func(a *v1alpha1.App) { a.Name = "1shop" }), "metadata.name", "DNS-1035 label"},
		{"name with a dot", validApp(func(a *v1alpha1.App) { a.Name = "shop.v2" }), "metadata.name", "starting with a letter"},
		{"name missing", validApp(func(a *v1alpha1.App) { a.Name = "" }), "metadata.name", "Required value"},

		// spec.release.tags
		{"tag of another App's revision", validApp(func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Tags: []v1alpha1.RevisionTag{{Name: "preview", Revision: "cart-00001"}}}
		}), "spec.release.tags[0].revision", "must name a revision of this App"},
		{"duplicate tag", validApp(func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Tags: []v1alpha1.RevisionTag{{Name: "preview", Revision: "shop-1"}, {Name: "preview", Revision: "shop-2"}}}
		}), "spec.release.tags[1].name", "Duplicate value"},
		{"tag whose host is too long", validApp(func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Tags: []v1alpha1.RevisionTag{{Name: strings.Repeat("p", 60), Revision: "shop-1"}}}
		}), "spec.release.tags[0].name", "may not be more than 58"},
		{"tag named canary", validApp(func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Tags: []v1alpha1.RevisionTag{{Name: "canary", Revision: "shop-1"}}}
		}), "spec.release.tags[0].name", "the tag canary is knapp's"},

		// spec.template's request timeouts
		{"response start timeout of 0", validApp(func(a *v1alpha1.App) { a.Spec.Template.ResponseStartTimeoutSeconds = ptr.To[int64](0) }),
			"spec.template.responseStartTimeoutSeconds", "must be between 1 and 3600 seconds"},
		{"idle timeout past the request's", validApp(func(a *v1alpha1.App) {
			a.Spec.Template.TimeoutSeconds, a.Spec.Template.IdleTimeoutSeconds = ptr.To[int64](60), ptr.To[int64](120)
		}), "spec.template.idleTimeoutSeconds", "must not be above spec.template.timeoutSeconds (60)"},

		// spec.image
		{"image upper case", validApp(func(a *v1alpha1.App) { a.Spec.Image = "registry.example.com/UPPER/case:1" }), "spec.image", "not a valid image reference"},
		{"image bad tag", validApp(func(a *v1alpha1.App) { a.Spec.Image = "shop:bad tag" }), "spec.image", "[registry/]repository[:tag][@sha256:digest]"},
		{"image bad digest", validApp(func(a *v1alpha1.App) { a.Spec.Image = "shop@sha256:123" }), "spec.image", "not a valid image reference"},
		{"neither image nor build", validApp(func(a *v1alpha1.App) { a.Spec.Image = "" }), "spec.image", "or spec.build"},

		// containers
		{"first container with image", validApp(containers(v1alpha1.Container{Image: "nginx"})), "spec.template.containers[0].image", "leave its image out"},
		{"sidecar without image", validApp(containers(v1alpha1.Container{Ports: port(8080)}, v1alpha1.Container{Name: "proxy"})), "spec.template.containers[1].image", "names its image"},
		{"sidecar bad image", validApp(containers(v1alpha1.Container{Ports: port(8080)}, v1alpha1.Container{Image: "Proxy:1"})), "spec.template.containers[1].image", "not a valid image reference"},
		{"duplicate container names", validApp(containers(v1alpha1.Container{Name: "app", Ports: port(8080)}, v1alpha1.Container{Name: "app", Image: "busybox"})), "spec.template.containers[1].name", "unique within the App"},
		{"reserved container name", validApp(containers(v1alpha1.Container{Name: "queue-proxy"})), "spec.template.containers[0].name", `"queue-proxy" is a reserved container name`},
		{"two ports in one container", validApp(containers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080}, {ContainerPort: 8081}}})), "spec.template.containers[0].ports[1]", "Only a single port is allowed across all containers"},
		{"ports in two containers", validApp(containers(v1alpha1.Container{Ports: port(8080)}, v1alpha1.Container{Image: "busybox", Ports: port(9000)})), "spec.template.containers[1].ports[0]", "Only a single port is allowed across all containers"},
		{"sidecars without a port", validApp(containers(v1alpha1.Container{}, v1alpha1.Container{Image: "busybox"})), "spec.template.containers[0].ports", "with sidecars Knative needs the port"},
		{"port 0", validApp(containers(v1alpha1.Container{Ports: port(0)})), "spec.template.containers[0].ports[0].containerPort", "between 1 and 65535"},
		{"port above 65535", validApp(containers(v1alpha1.Container{Ports: port(70000)})), "spec.template.containers[0].ports[0].containerPort", "between 1 and 65535"},
		{"reserved port 8012", validApp(containers(v1alpha1.Container{Ports: port(8012)})), "spec.template.containers[0].ports[0].containerPort", "8012 is a reserved port, please use a different value"},
		{"reserved port 8013", validApp(containers(v1alpha1.Container{Ports: port(8013)})), "spec.template.containers[0].ports[0].containerPort", "such as 8080"},
		{"reserved port 8022", validApp(containers(v1alpha1.Container{Ports: port(8022)})), "spec.template.containers[0].ports[0].containerPort", "reserved"},
		{"reserved port 9090", validApp(containers(v1alpha1.Container{Ports: port(9090)})), "spec.template.containers[0].ports[0].containerPort", "reserved"},
		{"reserved port 9091", validApp(containers(v1alpha1.Container{Ports: port(9091)})), "spec.template.containers[0].ports[0].containerPort", "reserved"},
		{"port name", validApp(containers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080, Name: "http"}}})), "spec.template.containers[0].ports[0]", "Name must be empty, or one of: 'h2c', 'http1'"},
		{"port protocol", validApp(containers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolUDP}}})), "spec.template.containers[0].ports[0].protocol", "only TCP"},
		{"host port", validApp(containers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 80}}})), "spec.template.containers[0].ports[0].hostPort", "does not allow this field"},
		{"env name with =", validApp(containers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "A=B"}}})), "spec.template.containers[0].env[0].name", "a valid environment variable name must consist of"},
		{"env name starting with a digit", validApp(containers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "OK"}, {Name: "1X"}}})), "spec.template.containers[0].env[1].name", "must not start with a digit"},
		{"env name empty", validApp(containers(v1alpha1.Container{Env: []corev1.EnvVar{{Value: "x"}}})), "spec.template.containers[0].env[0].name", "Required value"},
		{"env PORT in serving container", validApp(containers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "PORT", Value: "1"}}})), "spec.template.containers[0].env[0].name", `"PORT" is a reserved environment variable`},
		{"env K_SERVICE in sidecar", validApp(containers(v1alpha1.Container{Ports: port(8080)}, v1alpha1.Container{Image: "busybox", Env: []corev1.EnvVar{{Name: "K_SERVICE"}}})), "spec.template.containers[1].env[0].name", `"K_SERVICE" is a reserved environment variable`},
		{"service account", validApp(func(a *v1alpha1.App) { a.Spec.Template.ServiceAccountName = "Shop_SA" }), "spec.template.serviceAccountName", "ServiceAccount name"},

		// scaling
		{"min above max", validApp(scaling(v1alpha1.Scaling{MinScale: ptr.To[int32](3), MaxScale: ptr.To[int32](2)})), "spec.scaling.minScale", "must not be above maxScale (2)"},
		{"target 0", validApp(scaling(v1alpha1.Scaling{Target: ptr.To[int32](0)})), "spec.scaling.target", "at least 1"},
		{"negative minScale", validApp(scaling(v1alpha1.Scaling{MinScale: ptr.To[int32](-1)})), "spec.scaling.minScale", "between 0 and 1000"},
		{"memory without target", validApp(scaling(v1alpha1.Scaling{Metric: v1alpha1.ScalingMetricMemory})), "spec.scaling.target", "MiB"},
		{"unknown metric", validApp(scaling(v1alpha1.Scaling{Metric: "latency"})), "spec.scaling.metric", `"concurrency", "rps", "cpu", "memory"`},

		// domain
		{"domain upper case", validApp(func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: "Shop"} }), "spec.domain.name", "DNS label"},
		{"domain with a dot", validApp(func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: "shop.eu"} }), "spec.domain.name", "first label of the App's host"},
		{"domain empty", validApp(func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{} }), "spec.domain.name", "leave spec.domain out"},

		// release
		{"canary percent", validApp(canary(v1alpha1.Canary{Revision: "shop-2", Percent: 101})), "spec.release.canary.percent", "between 0 and 100"},
		{"canary equals stable", validApp(func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Stable: "shop-1", Canary: &v1alpha1.Canary{Revision: "shop-1"}}
		}), "spec.release.canary.revision", "must differ from spec.release.stable"},
		{"canary latest without stable", validApp(canary(v1alpha1.Canary{Revision: "latest"})), "spec.release.stable", `required when canary.revision is "latest"`},
		{"stable of another App", validApp(func(a *v1alpha1.App) { a.Spec.Release = &v1alpha1.Release{Stable: "cart-00001"} }), "spec.release.stable", "named shop-<suffix>"},
		{"canary of another App", validApp(canary(v1alpha1.Canary{Revision: "cart-2"})), "spec.release.canary.revision", "must name a revision of this App"},
		{"empty match rule", validApp(match(v1alpha1.MatchRule{})), "spec.release.canary.match[0]", "needs headers, path or cookie"},
		{"bad regex", validApp(match(v1alpha1.MatchRule{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Regex: ptr.To("(unclosed")}}})), "spec.release.canary.match[0].headers[x-canary].regex", "RE2"},
		{"header name upper case", validApp(match(v1alpha1.MatchRule{Headers: map[string]v1alpha1.StringMatch{"X-Canary": {Exact: ptr.To("1")}}})), "spec.release.canary.match[0].headers[X-Canary]", "lower-case HTTP token"},
		{"two ways to match", validApp(match(v1alpha1.MatchRule{Path: &v1alpha1.StringMatch{Exact: ptr.To("/a"), Prefix: ptr.To("/b")}})), "spec.release.canary.match[0].path", "exactly one of exact, prefix or regex"},
		{"relative path prefix", validApp(match(v1alpha1.MatchRule{Path: &v1alpha1.StringMatch{Prefix: ptr.To("beta/")}})), "spec.release.canary.match[0].path.prefix", "must start with /"},
		{"relative exact path", validApp(match(v1alpha1.MatchRule{Path: &v1alpha1.StringMatch{Exact: ptr.To("beta")}})), "spec.release.canary.match[0].path.exact", "must start with /"},
		{"cookie header and cookie", validApp(match(v1alpha1.MatchRule{Headers: map[string]v1alpha1.StringMatch{"cookie": {Regex: ptr.To(".*")}}, Cookie: &v1alpha1.CookieMatch{Name: "c"}})), "spec.release.canary.match[0].headers[cookie]", "not both"},
		{"cookie name", validApp(match(v1alpha1.MatchRule{Cookie: &v1alpha1.CookieMatch{Name: "a b"}})), "spec.release.canary.match[0].cookie.name", "HTTP token"},
		{"cookie value", validApp(match(v1alpha1.MatchRule{Cookie: &v1alpha1.CookieMatch{Name: "c", Value: "a;b"}})), "spec.release.canary.match[0].cookie.value", "may not hold ;"},
		{"rewritePath without path", validApp(match(v1alpha1.MatchRule{Headers: map[string]v1alpha1.StringMatch{"x-a": {Exact: ptr.To("1")}}, RewritePath: "/v2"})), "spec.release.canary.match[0].path", "needs a path match"},
		{"relative rewritePath", validApp(match(v1alpha1.MatchRule{Path: &v1alpha1.StringMatch{Prefix: ptr.To("/a")}, RewritePath: "v2"})), "spec.release.canary.match[0].rewritePath", "must start with /"},

		// logs
		{"logs at /", validApp(logs("/")), "spec.logs.path", "not / itself"},
		{"logs relative", validApp(logs("relative")), "spec.logs.path", "absolute path"},
		{"logs with ..", validApp(logs("/a/../b")), "spec.logs.path", "must not contain '..'"},
		{"logs not clean", validApp(logs("/var/log/app/")), "spec.logs.path", `write "/var/log/app"`},
		{"logs with //", validApp(logs("/var//log")), "spec.logs.path", "clean path"},
		{"logs empty", validApp(logs("")), "spec.logs.path", "Required value"},
		{"logs under /proc", validApp(logs("/proc/x")), "spec.logs.path", "must not be /proc or below it"},
		{"logs at /sys", validApp(logs("/sys")), "spec.logs.path", "/sys or below"},
		{"logs under /dev", validApp(logs("/dev/shm/logs")), "spec.logs.path", "/dev or below"},
		{"logs under /var/run", validApp(logs("/var/run/secrets/logs")), "spec.logs.path", "/var/run or below"},
		{"logs at /etc/hosts", validApp(logs("/etc/hosts")), "spec.logs.path", "kubelet"},
		{"logs at /usr", validApp(logs("/usr")), "spec.logs.path", "hides the image's own files"},
		{"logs at /var", validApp(logs("/var")), "spec.logs.path", "such as /var/log/app"},
		{"logs with newline", validApp(logs("/var/log/a\nb")), "spec.logs.path", "control characters"},
		{"logs container unknown", validApp(func(a *v1alpha1.App) {
			a.Spec.Template.Containers = []v1alpha1.Container{{Name: "app"}}
			a.Spec.Logs = &v1alpha1.Logs{Path: "/var/log/app", Container: "sidecar"}
		}), "spec.logs.container", `supported values: "app"`},
		{"logs container default name taken", validApp(func(a *v1alpha1.App) {
			a.Spec.Logs = &v1alpha1.Logs{Path: "/var/log/app", Container: "queue-proxy"}
		}), "spec.logs.container", `supported values: "user-container"`},
		{"logs user-container with two containers", validApp(func(a *v1alpha1.App) {
			a.Spec.Template.Containers = []v1alpha1.Container{{Ports: port(8080)}, {Image: "busybox"}}
			a.Spec.Logs = &v1alpha1.Logs{Path: "/var/log/app", Container: "user-container"}
		}), "spec.logs.container", `"user-container-0", "user-container-1"`},

		// build
		{"git url scheme", validApp(build(func(b *v1alpha1.BuildSpec) { b.Git.URL = "ftp://git.example.com/shop.git" })), "spec.build.git.url", "scheme ftp is not allowed"},
		{"git url with password", validApp(build(func(b *v1alpha1.BuildSpec) { b.Git.URL = "https://me:secret@git.example.com/shop.git" })), "spec.build.git.url", "must not carry a password"},
		{"git url missing", validApp(build(func(b *v1alpha1.BuildSpec) { b.Git.URL = "" })), "spec.build.git.url", "https://host/path"},
		{"git revision", validApp(build(func(b *v1alpha1.BuildSpec) { b.Git.Revision = "-rf" })), "spec.build.git.revision", "must not start with -"},
		{"git revision ..", validApp(build(func(b *v1alpha1.BuildSpec) { b.Git.Revision = "a..b" })), "spec.build.git.revision", "must not contain .."},
		{"git revision an Argo expression", validApp(build(func(b *v1alpha1.BuildSpec) { b.Git.Revision = "{{=sprig.repeat(99,'a')}}" })), "spec.build.git.revision", "must not contain {{ or }}: Argo Workflows would evaluate it"},
		{"git url an Argo template", validApp(build(func(b *v1alpha1.BuildSpec) { b.Git.URL = "https://git.example.com/{{workflow.name}}.git" })), "spec.build.git.url", "must not contain {{ or }}"},
		{"dockerfile an Argo template", validApp(build(func(b *v1alpha1.BuildSpec) { b.Dockerfile = "{{inputs.parameters.x}}" })), "spec.build.dockerfile", "must not contain {{ or }}"},
		{"context an Argo template", validApp(build(func(b *v1alpha1.BuildSpec) { b.Context = "app}}" })), "spec.build.context", "must not contain {{ or }}"},
		{"hook branch an Argo template", validApp(build(func(b *v1alpha1.BuildSpec) {
			b.Hook = &v1alpha1.BuildHook{SecretName: "hook", Branch: "{{=1}}"}
		})), "spec.build.hook.branch", "must not contain {{ or }}"},
		{"repository with tag", validApp(build(func(b *v1alpha1.BuildSpec) { b.ImageRepository = "registry.example.com/shop:1" })), "spec.build.imageRepository", "must not carry a tag"},
		{"repository upper case", validApp(build(func(b *v1alpha1.BuildSpec) { b.ImageRepository = "registry.example.com/Shop" })), "spec.build.imageRepository", "not an image repository"},
		{"dockerfile absolute", validApp(build(func(b *v1alpha1.BuildSpec) { b.Dockerfile = "/Dockerfile" })), "spec.build.dockerfile", "relative to the repository's root"},
		{"context escapes", validApp(build(func(b *v1alpha1.BuildSpec) { b.Context = "../other" })), "spec.build.context", "stay within the repository"},
		{"hook secret name", validApp(build(func(b *v1alpha1.BuildSpec) { b.Hook = &v1alpha1.BuildHook{SecretName: "Git_Hook"} })), "spec.build.hook.secretName", "RFC 1123 subdomain"},
		{"hook branch", validApp(build(func(b *v1alpha1.BuildSpec) { b.Hook = &v1alpha1.BuildHook{SecretName: "hook", Branch: "feature~1"} })), "spec.build.hook.branch", "must not contain any of ~"},
		{"registry secret name", validApp(build(func(b *v1alpha1.BuildSpec) { b.RegistrySecretName = "Registry" })), "spec.build.registrySecretName", "RFC 1123 subdomain"},
		{"history limit", validApp(build(func(b *v1alpha1.BuildSpec) { b.HistoryLimit = ptr.To[int32](0) })), "spec.build.historyLimit", "between 1 and 50"},

		// schedules
		{"cron", validApp(schedule(v1alpha1.Schedule{Schedule: "every day"})), "spec.schedules[0].schedule", "want 5 fields"},
		{"cron @every", validApp(schedule(v1alpha1.Schedule{Schedule: "@every 5m"})), "spec.schedules[0].schedule", "@every is not supported"},
		{"cron with CRON_TZ", validApp(schedule(v1alpha1.Schedule{Schedule: "CRON_TZ=UTC 0 3 * * *"})), "spec.schedules[0].schedule", "put the cron expression here and the zone in timezone"},
		{"timezone", validApp(schedule(v1alpha1.Schedule{Timezone: "Mars/Olympus"})), "spec.schedules[0].timezone", "unknown time zone"},
		{"timezone Local", validApp(schedule(v1alpha1.Schedule{Timezone: "Local"})), "spec.schedules[0].timezone", "IANA time zone"},
		{"content type", validApp(schedule(v1alpha1.Schedule{ContentType: "json"})), "spec.schedules[0].contentType", "type/subtype"},
		{"data not JSON", validApp(schedule(v1alpha1.Schedule{Data: "cleanup"})), "spec.schedules[0].data", "must be a JSON object"},
		{"data too long", validApp(schedule(v1alpha1.Schedule{ContentType: "text/plain", Data: strings.Repeat("x", 64<<10+1)})), "spec.schedules[0].data", "may not be more than 65536"},
		{"schedule name", validApp(schedule(v1alpha1.Schedule{Name: "Nightly"})), "spec.schedules[0].name", "DNS-1123 label"},
		{"duplicate schedule", validApp(func(a *v1alpha1.App) {
			a.Spec.Schedules = []v1alpha1.Schedule{{Name: "n", Schedule: "@daily"}, {Name: "n", Schedule: "@hourly"}}
		}), "spec.schedules[1].name", "unique within the App"},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d cases", len(tests))
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			errs := validate(tc.app)
			if e := find(errs, tc.field); e == nil {
				t.Fatalf("no error for %s; got %v", tc.field, errs.ToAggregate())
			} else if !strings.Contains(e.Error(), tc.msg) {
				t.Errorf("error %q should contain %q", e.Error(), tc.msg)
			}
		})
	}
}

// find is the first error of errs for the field.
func find(errs field.ErrorList, path string) *field.Error {
	for _, e := range errs {
		if e.Field == path {
			return e
		}
	}
	return nil
}

// Each case has only the errors of its one mistake: a bad part does not
// drag unrelated fields into the list.
func TestValidateReportsOnlyTheFieldAtFault(t *testing.T) {
	app := fullApp(func(a *v1alpha1.App) { a.Spec.Logs.Path = "/proc/self" })
	errs := validate(app)
	if len(errs) != 1 || errs[0].Field != "spec.logs.path" {
		t.Errorf("want one error for spec.logs.path, got %v", errs.ToAggregate())
	}
}

// Every error at once, so kubectl shows them all.
func TestValidateReportsEveryError(t *testing.T) {
	app := validApp(func(a *v1alpha1.App) {
		a.Name = "Shop"
		a.Spec.Image = "UPPER"
		a.Spec.Logs = &v1alpha1.Logs{Path: "relative"}
		a.Spec.Schedules = []v1alpha1.Schedule{{Name: "n", Schedule: "nope"}}
	})
	errs := validate(app)
	for _, f := range []string{"metadata.name", "spec.image", "spec.logs.path", "spec.schedules[0].schedule"} {
		if find(errs, f) == nil {
			t.Errorf("no error for %s in %v", f, errs.ToAggregate())
		}
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		app  *v1alpha1.App
		want []string
	}{
		{"none", fullApp(), nil},
		{"sidecar takes the port", validApp(func(a *v1alpha1.App) {
			a.Spec.Template.Containers = []v1alpha1.Container{{}, {Image: "proxy", Ports: []corev1.ContainerPort{{ContainerPort: 4180}}}}
		}), []string{"spec.template.containers[1].ports: Knative sends requests to the container with the port"}},
		{"memory target is MiB", validApp(func(a *v1alpha1.App) {
			a.Spec.Scaling = &v1alpha1.Scaling{Metric: v1alpha1.ScalingMetricMemory, Target: ptr.To[int32](80), MinScale: ptr.To[int32](0)}
		}), []string{"80 means 80Mi", "spec.scaling.minScale: metric memory scales with the Horizontal Pod Autoscaler, which does not scale to zero"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Warnings(tc.app)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d warnings %q, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("warning %q should contain %q", got[i], tc.want[i])
				}
			}
		})
	}
}
