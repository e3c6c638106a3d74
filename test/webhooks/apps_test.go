package webhooks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// The layer of the apiserver that refuses an App: the CRD's schema (OpenAPI
// and CEL rules) or knapp's validating webhook, whose errors say
// `admission webhook "validation.apps.knapp.dev" denied the request`.
const (
	byCRD     = "crd"
	byWebhook = "webhook"
)

const webhookDenied = `admission webhook "validation.apps.knapp.dev" denied the request`

func TestInvalidAppsAreRefused(t *testing.T) {
	ns := newNamespace(t, nil)
	type change = func(*v1alpha1.App)
	containers := func(cs ...v1alpha1.Container) change {
		return func(a *v1alpha1.App) { a.Spec.Template.Containers = cs }
	}
	port := func(n int32) []corev1.ContainerPort { return []corev1.ContainerPort{{ContainerPort: n}} }
	scaling := func(s v1alpha1.Scaling) change { return func(a *v1alpha1.App) { a.Spec.Scaling = &s } }
	// Revision names are the App's name and a suffix; rev makes one.
	canary := func(c v1alpha1.Canary) change {
		return func(a *v1alpha1.App) {
			if c.Revision == "" {
				c.Revision = a.Name + "-00002"
			}
			a.Spec.Release = &v1alpha1.Release{Canary: &c}
		}
	}
	match := func(rules ...v1alpha1.MatchRule) change { return canary(v1alpha1.Canary{Match: rules}) }
	exact := func(s string) map[string]v1alpha1.StringMatch {
		return map[string]v1alpha1.StringMatch{"x-canary": {Exact: ptr.To(s)}}
	}
	logs := func(p string) change { return func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: p} } }
	// progressive is a valid progressive release of the latest revision
	// against a named stable, changed by edit.
	progressive := func(edit func(*v1alpha1.Release)) change {
		return func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Stable: a.Name + "-00001", Canary: &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest},
				Progressive: &v1alpha1.Progressive{
					Steps: []v1alpha1.RolloutStep{{Percent: 0}, {Percent: 10}, {Percent: 50}},
					Analysis: &v1alpha1.Analysis{Interval: &metav1.Duration{Duration: time.Minute},
						Queries: []v1alpha1.MetricQuery{{Name: "errors", Query: `sum(rate(errors_total{revision="{{.Revision}}"}[{{.Interval}}]))`, Max: ptr.To(0.01)}}},
					Sticky: true}}
			edit(a.Spec.Release)
		}
	}
	build := func(f func(*v1alpha1.BuildSpec)) change {
		return func(a *v1alpha1.App) {
			a.Spec.Build = &v1alpha1.BuildSpec{Git: v1alpha1.GitSource{URL: "https://git.example.com/shop.git"}, ImageRepository: "registry.example.com/shop"}
			f(a.Spec.Build)
		}
	}
	schedule := func(s v1alpha1.Schedule) change {
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
	name := func(n string) change { return func(a *v1alpha1.App) { a.Name = n } }

	tests := []struct {
		name   string
		change change
		layer  string
		field  string // the field path the error names
		msg    string // and a fragment of its message
	}{
		// metadata.name
		{"name too long", name(strings.Repeat("a", 50)), byCRD, "", "metadata.name: at most 49 characters"},
		{"name starting with a digit", name("1shop"), byWebhook, "metadata.name", "DNS-1035 label"},
		{"name with a dot", name("shop.v2"), byWebhook, "metadata.name", "starting with a letter"},

		// spec.image
		{"image upper case", func(a *v1alpha1.App) { a.Spec.Image = "registry.example.com/UPPER/case:1" }, byWebhook, "spec.image", "not a valid image reference"},
		{"image with a space in the tag", func(a *v1alpha1.App) { a.Spec.Image = "shop:bad tag" }, byWebhook, "spec.image", "[registry/]repository[:tag][@sha256:digest]"},
		{"image short digest", func(a *v1alpha1.App) { a.Spec.Image = "shop@sha256:123" }, byWebhook, "spec.image", "not a valid image reference"},
		{"neither image nor build", func(a *v1alpha1.App) { a.Spec.Image = "" }, byCRD, "spec", "or spec.build to build one from git"},

		// spec.template
		{"first container with image", containers(v1alpha1.Container{Image: "nginx"}), byWebhook, "spec.template.containers[0].image", "leave its image out"},
		{"sidecar without image", containers(v1alpha1.Container{Ports: port(8080)}, v1alpha1.Container{Name: "proxy"}), byWebhook, "spec.template.containers[1].image", "names its image"},
		{"sidecar bad image", containers(v1alpha1.Container{Ports: port(8080)}, v1alpha1.Container{Image: "Proxy:1"}), byWebhook, "spec.template.containers[1].image", "not a valid image reference"},
		{"duplicate container names", containers(v1alpha1.Container{Name: "app", Ports: port(8080)}, v1alpha1.Container{Name: "app", Image: "busybox"}), byWebhook, "spec.template.containers[1].name", "unique within the App"},
		{"container named queue-proxy", containers(v1alpha1.Container{Name: "queue-proxy"}), byWebhook, "spec.template.containers[0].name", `"queue-proxy" is a reserved container name`},
		{"container name upper case", containers(v1alpha1.Container{Name: "App"}), byCRD, "spec.template.containers[0].name", "should match"},
		{"two ports in one container", containers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080}, {ContainerPort: 8081}}}), byCRD, "spec.template.containers[0].ports", "Too many: 2: must have at most 1 item"},
		{"ports in two containers", containers(v1alpha1.Container{Ports: port(8080)}, v1alpha1.Container{Image: "busybox", Ports: port(9000)}), byWebhook, "spec.template.containers[1].ports[0]", "Only a single port is allowed across all containers"},
		{"reserved port 8012", containers(v1alpha1.Container{Ports: port(8012)}), byWebhook, "spec.template.containers[0].ports[0].containerPort", "8012 is a reserved port, please use a different value"},
		{"reserved port 9090", containers(v1alpha1.Container{Ports: port(9090)}), byWebhook, "spec.template.containers[0].ports[0].containerPort", "9090 is a reserved port"},
		{"port name", containers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080, Name: "http"}}}), byWebhook, "spec.template.containers[0].ports[0]", "Name must be empty, or one of: 'h2c', 'http1'"},
		{"host port", containers(v1alpha1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 80}}}), byWebhook, "spec.template.containers[0].ports[0].hostPort", "does not allow this field"},
		{"env name with =", containers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "A=B"}}}), byWebhook, "spec.template.containers[0].env[0].name", "a valid environment variable name must consist of"},
		{"env PORT in serving container", containers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "PORT", Value: "1"}}}), byWebhook, "spec.template.containers[0].env[0].name", `"PORT" is a reserved environment variable`},
		{"env twice", containers(v1alpha1.Container{Env: []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}}}), byCRD, "spec.template.containers[0].env[1]", "Duplicate value"},
		{"service account", func(a *v1alpha1.App) { a.Spec.Template.ServiceAccountName = "Shop_SA" }, byWebhook, "spec.template.serviceAccountName", "ServiceAccount name"},
		{"timeout 0", func(a *v1alpha1.App) { a.Spec.Template.TimeoutSeconds = ptr.To[int64](0) }, byCRD, "spec.template.timeoutSeconds", "greater than or equal to 1"},

		// spec.scaling
		{"minScale above maxScale", scaling(v1alpha1.Scaling{MinScale: ptr.To[int32](3), MaxScale: ptr.To[int32](2)}), byCRD, "spec.scaling", "minScale must not be above maxScale"},
		{"target 0", scaling(v1alpha1.Scaling{Target: ptr.To[int32](0)}), byCRD, "spec.scaling.target", "greater than or equal to 1"},
		{"memory without target", scaling(v1alpha1.Scaling{Metric: v1alpha1.ScalingMetricMemory}), byWebhook, "spec.scaling.target", "MiB"},
		{"unknown metric", scaling(v1alpha1.Scaling{Metric: "latency"}), byCRD, "spec.scaling.metric", `Unsupported value: "latency"`},

		// spec.domain
		{"domain upper case", func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: "Shop"} }, byCRD, "spec.domain.name", "should match"},

		// spec.release
		{"canary percent 101", canary(v1alpha1.Canary{Percent: 101}), byCRD, "spec.release.canary.percent", "less than or equal to 100"},
		{"canary equals stable", func(a *v1alpha1.App) {
			a.Spec.Release = &v1alpha1.Release{Stable: a.Name + "-1", Canary: &v1alpha1.Canary{Revision: a.Name + "-1"}}
		}, byCRD, "spec.release", "canary.revision must differ from stable"},
		{"canary latest without stable", canary(v1alpha1.Canary{Revision: "latest"}), byWebhook, "spec.release.stable", `required when canary.revision is "latest"`},
		{"stable of another App", func(a *v1alpha1.App) { a.Spec.Release = &v1alpha1.Release{Stable: "cart-00001"} }, byWebhook, "spec.release.stable", "must name a revision of this App"},
		{"empty match rule", match(v1alpha1.MatchRule{}), byCRD, "spec.release.canary.match[0]", "a match rule needs headers, path or cookie"},
		{"invalid regex", match(v1alpha1.MatchRule{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Regex: ptr.To("(unclosed")}}}), byWebhook, "spec.release.canary.match[0].headers[x-canary].regex", "not a valid RE2 regular expression"},
		{"header name upper case", match(v1alpha1.MatchRule{Headers: map[string]v1alpha1.StringMatch{"X-Canary": {Exact: ptr.To("1")}}}), byCRD, "spec.release.canary.match[0].headers", "header names must be lower-case HTTP tokens"},
		{"two ways to match", match(v1alpha1.MatchRule{Path: &v1alpha1.StringMatch{Exact: ptr.To("/a"), Prefix: ptr.To("/b")}}), byCRD, "spec.release.canary.match[0].path", "set exactly one of exact, prefix or regex"},
		{"path prefix without /", match(v1alpha1.MatchRule{Path: &v1alpha1.StringMatch{Prefix: ptr.To("beta/")}}), byWebhook, "spec.release.canary.match[0].path.prefix", "a path must start with /"},
		{"cookie and headers.cookie", match(v1alpha1.MatchRule{Headers: map[string]v1alpha1.StringMatch{"cookie": {Regex: ptr.To(".*")}}, Cookie: &v1alpha1.CookieMatch{Name: "c"}}), byWebhook, "spec.release.canary.match[0].headers[cookie]", "not both"},
		{"cookie value with ;", match(v1alpha1.MatchRule{Cookie: &v1alpha1.CookieMatch{Name: "c", Value: "a;b"}}), byWebhook, "spec.release.canary.match[0].cookie.value", "may not hold ;"},
		{"cookie name with a space", match(v1alpha1.MatchRule{Cookie: &v1alpha1.CookieMatch{Name: "a b"}}), byCRD, "spec.release.canary.match[0].cookie.name", "should match"},
		{"rewritePath without path", match(v1alpha1.MatchRule{Headers: exact("1"), RewritePath: "/v2"}), byWebhook, "spec.release.canary.match[0].path", "needs a path match"},
		{"rewritePath relative", match(v1alpha1.MatchRule{Path: &v1alpha1.StringMatch{Prefix: ptr.To("/a")}, RewritePath: "v2"}), byCRD, "spec.release.canary.match[0].rewritePath", "should match '^/'"},

		// spec.release.progressive
		{"steps not increasing", progressive(func(r *v1alpha1.Release) { r.Progressive.Steps[2].Percent = 10 }), byWebhook,
			"spec.release.progressive.steps[2].percent", "steps must increase: above the previous step's 10"},
		{"step percent above 100", progressive(func(r *v1alpha1.Release) { r.Progressive.Steps[2].Percent = 101 }), byCRD,
			"spec.release.progressive.steps[2].percent", "less than or equal to 100"},
		{"interval under 10s", progressive(func(r *v1alpha1.Release) { r.Progressive.Analysis.Interval.Duration = 5 * time.Second }), byWebhook,
			"spec.release.progressive.analysis.interval", "must be between 10s and 1h0m0s"},
		{"PromQL that does not parse", progressive(func(r *v1alpha1.Release) { r.Progressive.Analysis.Queries[0].Query = "sum(rate(errors_total[1m])" }), byWebhook,
			"spec.release.progressive.analysis.queries[0].query", "not valid PromQL"},
		{"sticky without a stable revision", progressive(func(r *v1alpha1.Release) { r.Stable = "" }), byWebhook,
			"spec.release.stable", "sticky sessions pin each visitor"},
		{"canary percent beside steps", progressive(func(r *v1alpha1.Release) { r.Canary.Percent = 10 }), byWebhook,
			"spec.release.canary.percent", "steps set the canary's percent"},

		// spec.logs
		{"logs at /", logs("/"), byCRD, "spec.logs.path", "logs.path must be a directory below /, not / itself"},
		{"logs relative", logs("relative"), byCRD, "spec.logs.path", "should match '^/'"},
		{"logs with ..", logs("/a/../b"), byWebhook, "spec.logs.path", "must not contain '..'"},
		{"logs under /proc", logs("/proc/x"), byWebhook, "spec.logs.path", "must not be /proc or below it"},
		{"logs under /var/run", logs("/var/run/secrets/logs"), byWebhook, "spec.logs.path", "must not be /var/run or below it"},
		{"logs at /usr", logs("/usr"), byWebhook, "spec.logs.path", "hides the image's own files"},
		{"logs not clean", logs("/var/log/app/"), byWebhook, "spec.logs.path", `write "/var/log/app"`},
		{"logs container unknown", func(a *v1alpha1.App) {
			a.Spec.Template.Containers = []v1alpha1.Container{{Name: "app"}}
			a.Spec.Logs = &v1alpha1.Logs{Path: "/var/log/app", Container: "sidecar"}
		}, byWebhook, "spec.logs.container", `supported values: "app"`},

		// spec.build
		{"git url scheme", build(func(b *v1alpha1.BuildSpec) { b.Git.URL = "ftp://git.example.com/shop.git" }), byWebhook, "spec.build.git.url", "scheme ftp is not allowed"},
		{"git url malformed", build(func(b *v1alpha1.BuildSpec) { b.Git.URL = "https://[git.example.com/shop.git" }), byWebhook, "spec.build.git.url", "malformed URL"},
		{"git url with password", build(func(b *v1alpha1.BuildSpec) { b.Git.URL = "https://me:secret@git.example.com/shop.git" }), byWebhook, "spec.build.git.url", "must not carry a password"},
		{"git revision starting with -", build(func(b *v1alpha1.BuildSpec) { b.Git.Revision = "-rf" }), byWebhook, "spec.build.git.revision", "must not start with -"},
		{"git revision an Argo expression", build(func(b *v1alpha1.BuildSpec) { b.Git.Revision = "{{=sprig.repeat(99,'a')}}" }), byWebhook, "spec.build.git.revision", "must not contain {{ or }}"},
		{"imageRepository with tag", build(func(b *v1alpha1.BuildSpec) { b.ImageRepository = "registry.example.com/shop:1" }), byWebhook, "spec.build.imageRepository", "must not carry a tag"},
		{"imageRepository missing", build(func(b *v1alpha1.BuildSpec) { b.ImageRepository = "" }), byCRD, "spec.build.imageRepository", "should be at least 1 chars long"},
		{"dockerfile absolute", build(func(b *v1alpha1.BuildSpec) { b.Dockerfile = "/Dockerfile" }), byWebhook, "spec.build.dockerfile", "relative to the repository's root"},
		{"context escapes", build(func(b *v1alpha1.BuildSpec) { b.Context = "../other" }), byWebhook, "spec.build.context", "stay within the repository"},
		{"historyLimit 0", build(func(b *v1alpha1.BuildSpec) { b.HistoryLimit = ptr.To[int32](0) }), byCRD, "spec.build.historyLimit", "greater than or equal to 1"},

		// spec.schedules
		{"bad cron", schedule(v1alpha1.Schedule{Schedule: "every day"}), byWebhook, "spec.schedules[0].schedule", "want 5 fields"},
		{"cron @every", schedule(v1alpha1.Schedule{Schedule: "@every 5m"}), byWebhook, "spec.schedules[0].schedule", "@every is not supported"},
		{"bad timezone", schedule(v1alpha1.Schedule{Timezone: "Mars/Olympus"}), byWebhook, "spec.schedules[0].timezone", "unknown time zone"},
		{"bad contentType", schedule(v1alpha1.Schedule{ContentType: "json"}), byWebhook, "spec.schedules[0].contentType", "type/subtype"},
		{"data not JSON", schedule(v1alpha1.Schedule{Data: "cleanup"}), byWebhook, "spec.schedules[0].data", "must be a JSON object"},
		{"schedule name upper case", schedule(v1alpha1.Schedule{Name: "Nightly"}), byCRD, "spec.schedules[0].name", "should match"},
		{"duplicate schedules", func(a *v1alpha1.App) {
			a.Spec.Schedules = []v1alpha1.Schedule{{Name: "n", Schedule: "@daily"}, {Name: "n", Schedule: "@hourly"}}
		}, byCRD, "spec.schedules[1]", "Duplicate value"},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d cases", len(tests))
	}
	layers := map[string]int{}
	for i, tc := range tests {
		layers[tc.layer]++
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Distinct names, so that an App admitted by mistake does not
			// make the others fail with AlreadyExists.
			app := &v1alpha1.App{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("shop-%02d", i), Namespace: ns},
				Spec:       v1alpha1.AppSpec{Image: "registry.example.com/team-a/shop:1.4.2"},
			}
			tc.change(app)
			err := k8s.Create(context.Background(), app)
			if err == nil {
				t.Errorf("admitted: %+v", app.Spec)
				_ = k8s.Delete(context.Background(), app)
				return
			}
			if !apierrors.IsInvalid(err) {
				t.Errorf("want 422 Invalid, got %v (reason %s)", err, apierrors.ReasonForError(err))
			}
			msg := err.Error()
			want := tc.msg
			if tc.field != "" {
				want = tc.field + ": "
			}
			if !strings.Contains(msg, want) || !strings.Contains(msg, tc.msg) {
				t.Errorf("error should name %q with %q:\n%s", tc.field, tc.msg, msg)
			}
			switch byHook := strings.Contains(msg, webhookDenied); {
			case tc.layer == byWebhook && !byHook:
				t.Errorf("want knapp's webhook to refuse it, got the apiserver's own error:\n%s", msg)
			case tc.layer == byCRD && byHook:
				t.Errorf("want the CRD's schema to refuse it, got knapp's webhook:\n%s", msg)
			}
		})
	}
	t.Logf("%d invalid Apps: %d refused by the CRD's schema, %d by knapp's webhook", len(tests), layers[byCRD], layers[byWebhook])
}

// A valid App is admitted, and reading it back shows the defaults the
// defaulting webhook wrote (what `kubectl get app -o yaml` shows).
func TestValidAppIsAdmittedWithDefaults(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns},
		Spec: v1alpha1.AppSpec{
			Build: &v1alpha1.BuildSpec{
				Git:             v1alpha1.GitSource{URL: "https://git.example.com/team-a/shop.git"},
				ImageRepository: "registry.example.com/team-a/shop",
			},
			Template: v1alpha1.AppTemplate{Containers: []v1alpha1.Container{{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
			Logs:     &v1alpha1.Logs{Path: "/var/log/shop", Container: "app"},
			Release: &v1alpha1.Release{Stable: "shop-00001", Canary: &v1alpha1.Canary{
				Revision: "shop-00002", Percent: 10,
				Match: []v1alpha1.MatchRule{{Path: &v1alpha1.StringMatch{Prefix: ptr.To("/beta/")}, RewritePath: "/"}},
			}},
			Schedules: []v1alpha1.Schedule{
				{Name: "nightly", Schedule: "0 3 * * *", Data: `{"task":"cleanup"}`},
				{Name: "hourly", Schedule: "@hourly", Timezone: "Europe/Berlin", ContentType: "text/plain", Data: "ping"},
			},
		},
	}
	create(t, app)

	got := &v1alpha1.App{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(app), got); err != nil {
		t.Fatal(err)
	}
	b := got.Spec.Build
	if b == nil {
		t.Fatal("spec.build is gone")
	}
	check := func(field string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	check("spec.build.git.revision", b.Git.Revision, "main")
	check("spec.build.dockerfile", b.Dockerfile, "Dockerfile")
	check("spec.build.context", b.Context, ".")
	check("spec.build.historyLimit", ptr.Deref(b.HistoryLimit, 0), 5)
	check("spec.build.hook", b.Hook, (*v1alpha1.BuildHook)(nil))
	check("spec.build.git.url", b.Git.URL, "https://git.example.com/team-a/shop.git")
	if len(got.Spec.Schedules) != 2 {
		t.Fatalf("schedules %+v", got.Spec.Schedules)
	}
	check("spec.schedules[0].timezone", got.Spec.Schedules[0].Timezone, "UTC")
	check("spec.schedules[0].contentType", got.Spec.Schedules[0].ContentType, "application/json")
	// Set values are kept.
	check("spec.schedules[1].timezone", got.Spec.Schedules[1].Timezone, "Europe/Berlin")
	check("spec.schedules[1].contentType", got.Spec.Schedules[1].ContentType, "text/plain")
	check("spec.image", got.Spec.Image, "")
	check("spec.logs", *got.Spec.Logs, v1alpha1.Logs{Path: "/var/log/shop", Container: "app"})

	// The defaulting webhook runs on UPDATE too, and the validating webhook
	// refuses a bad change.
	got.Spec.Logs.Path = "/proc/self"
	err := k8s.Update(context.Background(), got)
	if err == nil || !strings.Contains(err.Error(), webhookDenied) || !strings.Contains(err.Error(), "spec.logs.path") {
		t.Errorf("update to logs.path /proc/self: want knapp's webhook to refuse it, got %v", err)
	}
}
