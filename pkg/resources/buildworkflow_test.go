package resources

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/templateresolution"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// The platform's build template and the executor's RBAC, as installed.
var (
	buildTemplatePath = filepath.Join("..", "..", "config", "build", "knapp-build.yaml")
	executorRBACPath  = filepath.Join("..", "..", "config", "build", "executor-rbac.yaml")
)

// withBuild gives the test App a build from git.
func withBuild(mutate ...func(*v1alpha1.BuildSpec)) appOption {
	return func(app *v1alpha1.App) {
		b := &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: "https://git.example.com/team-a/shop.git"},
			ImageRepository: "registry.example.com/team-a/shop",
		}
		for _, m := range mutate {
			m(b)
		}
		app.Spec.Image = ""
		app.Spec.Build = b
	}
}

const commit = "3f7c2a9e41b05d6c8e9f0a1b2c3d4e5f60718293"

// pinnedBuildName is the build name of newApp(withBuild()) since knapp's
// first build release.
const pinnedBuildName = "shop-bebffb3ca"

func TestMakeBuildWorkflowGolden(t *testing.T) {
	cases := []struct {
		name    string
		app     *v1alpha1.App
		trigger func(*v1alpha1.App) BuildTrigger
	}{
		{
			name: "build-spec-defaults",
			app:  newApp(withBuild()),
			trigger: func(app *v1alpha1.App) BuildTrigger {
				return BuildTrigger{Revision: app.Spec.Build.GitRevision(), Source: BuildTriggerSpec}
			},
		},
		{
			name: "build-hook-commit-custom-template",
			app: newApp(withBuild(func(b *v1alpha1.BuildSpec) {
				b.Git = v1alpha1.GitSource{URL: "git@git.example.com:team-a/shop.git", Revision: "release/1.4"}
				b.Dockerfile = "build/Dockerfile.prod"
				b.Context = "services/shop"
				b.ImageRepository = "registry.example.com:5000/team-a/shop"
				b.TemplateRef = &v1alpha1.TemplateRef{Name: "team-build"}
				b.RegistrySecretName = "registry-push"
				b.Hook = &v1alpha1.BuildHook{SecretName: "shop-hook", Branch: "release/1.4"}
			})),
			trigger: func(*v1alpha1.App) BuildTrigger {
				return BuildTrigger{Revision: commit, Source: BuildTriggerHook}
			},
		},
		{
			name: "build-private-args-cache-timeout",
			app: newApp(withBuild(func(b *v1alpha1.BuildSpec) {
				b.Git = v1alpha1.GitSource{URL: "ssh://git@git.example.com/team-a/shop.git", SecretName: "shop-deploy-key"}
				b.BuildArgs = []v1alpha1.BuildArg{{Name: "GO_VERSION", Value: "1.26"}, {Name: "GREETING", Value: `hello "world" $(id)`}}
				b.CacheRepository = "registry.example.com/team-a/shop-cache"
				b.Timeout = &metav1.Duration{Duration: 20 * time.Minute}
			})),
			trigger: func(app *v1alpha1.App) BuildTrigger {
				return BuildTrigger{Revision: app.Spec.Build.GitRevision(), Source: BuildTriggerSpec}
			},
		},
	}
	getters := newTemplateGetters(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if errs := v1alpha1.ValidateBuild(tc.app.Spec.Build, field.NewPath("spec", "build")); len(errs) > 0 {
				t.Fatalf("test App's build is invalid: %v", errs)
			}
			wf := MakeBuildWorkflow(tc.app, tc.trigger(tc.app), platform.Default())
			assertGolden(t, tc.name, wf)
			getters.assertArgoAccepts(t, wf)
		})
	}
}

func TestMakeBuildWorkflowGrantsNothing(t *testing.T) {
	app := newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.RegistrySecretName = "registry-push" }))
	wf := MakeBuildWorkflow(app, BuildTrigger{Revision: "main", Source: BuildTriggerSpec}, platform.Default())
	spec := wf.Spec
	if spec.ServiceAccountName != "" || spec.Executor != nil || spec.AutomountServiceAccountToken != nil ||
		len(spec.Templates) > 0 || spec.PodSpecPatch != "" || len(spec.Volumes) > 0 || spec.SecurityContext != nil {
		t.Errorf("the Workflow sets more than a template reference and arguments: %+v", spec)
	}
	if got := wf.OwnerReferences; len(got) != 1 || got[0].Controller == nil || !*got[0].Controller || got[0].UID != app.UID {
		t.Errorf("owner references = %+v, want the App as controller", got)
	}
	if got := wf.Labels[v1alpha1.LabelBuildTrigger]; got != BuildTriggerSpec {
		t.Errorf("label %s = %q", v1alpha1.LabelBuildTrigger, got)
	}
	if got := wf.Annotations[v1alpha1.AnnotationBuildRevision]; got != "main" {
		t.Errorf("annotation %s = %q", v1alpha1.AnnotationBuildRevision, got)
	}
	// Without spec.build.templateRef the platform's template is used.
	cfg := platform.Default()
	cfg.BuildTemplate = platform.BuildTemplate{Name: "platform-build"}
	if ref := MakeBuildWorkflow(app, BuildTrigger{Source: BuildTriggerSpec}, cfg).Spec.WorkflowTemplateRef; ref.Name != "platform-build" || ref.ClusterScope {
		t.Errorf("template ref = %+v, want the platform's namespaced platform-build", ref)
	}
	// Without a registry secret the template's default applies.
	wf = MakeBuildWorkflow(newApp(withBuild()), BuildTrigger{Source: BuildTriggerSpec}, platform.Default())
	if p := wf.Spec.Arguments.GetParameterByName(BuildParamRegistrySecret); p != nil {
		t.Errorf("registry-secret set without spec.build.registrySecretName: %v", p)
	}
	// A trigger without a revision builds the spec's.
	if got := wf.Annotations[v1alpha1.AnnotationBuildRevision]; got != v1alpha1.DefaultBuildRevision {
		t.Errorf("revision of a trigger without one = %q, want %q", got, v1alpha1.DefaultBuildRevision)
	}
}

// TestBuildTemplateArgoValidates runs Argo's own validation, as its API
// server and controller do, on the platform's ClusterWorkflowTemplate.
func TestBuildTemplateArgoValidates(t *testing.T) {
	getters := newTemplateGetters(t)
	cwft := getters.cluster["knapp-build"]
	if err := validate.ValidateClusterWorkflowTemplate(getters.namespaced, getters.cluster, cwft, nil, validate.ValidateOpts{}); err != nil {
		t.Fatalf("Argo refuses %s: %v", buildTemplatePath, err)
	}
	// Lint mode, as `argo lint` runs it.
	if err := validate.ValidateClusterWorkflowTemplate(getters.namespaced, getters.cluster, cwft, nil, validate.ValidateOpts{Lint: true}); err != nil {
		t.Fatalf("argo lint refuses %s: %v", buildTemplatePath, err)
	}

	// The validator does check the template's variables: a reference to an
	// input the template lacks is refused. (In a template on its own Argo
	// lets any {{workflow.parameters.*}} pass, as a Workflow may supply it;
	// TestBuildWorkflowArgoValidation checks those against a Workflow.)
	broken := cwft.DeepCopy()
	broken.Spec.Templates[0].Container.Args = append(broken.Spec.Templates[0].Container.Args, "--label=x={{inputs.parameters.no-such-parameter}}")
	if err := validate.ValidateClusterWorkflowTemplate(getters.namespaced, getters.cluster, broken, nil, validate.ValidateOpts{}); err == nil {
		t.Error("Argo accepted a template that references an unknown input; the validation test proves nothing")
	}
}

// TestBuildTemplateContract checks what knapp relies on beyond Argo's
// validity: the parameters a build Workflow sets, the digest output, and no
// Kubernetes credentials for the build's containers.
func TestBuildTemplateContract(t *testing.T) {
	spec := newTemplateGetters(t).cluster["knapp-build"].Spec

	params := map[string]*wfv1.Parameter{}
	for i, p := range spec.Arguments.Parameters {
		params[p.Name] = &spec.Arguments.Parameters[i]
	}
	for _, name := range []string{BuildParamGitURL, BuildParamGitRevision, BuildParamDockerfile, BuildParamContext,
		BuildParamImageRepository, BuildParamImageTag, BuildParamRegistrySecret, BuildParamGitSecret, BuildParamBuildArgs,
		BuildParamCacheRepository, "git-image", "builder-image"} {
		if params[name] == nil {
			t.Errorf("template has no parameter %s", name)
		}
	}
	for name, want := range map[string]string{
		BuildParamGitRevision: v1alpha1.DefaultBuildRevision,
		BuildParamDockerfile:  v1alpha1.DefaultBuildDockerfile,
		BuildParamContext:     v1alpha1.DefaultBuildContext,
	} {
		if p := params[name]; p == nil || p.Value == nil || p.Value.String() != want {
			t.Errorf("parameter %s: want default %q, got %+v", name, want, p)
		}
	}

	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken must be false")
	}
	if spec.Executor == nil || spec.Executor.ServiceAccountName != "knapp-build-executor" {
		t.Errorf("executor = %+v, want serviceAccountName knapp-build-executor", spec.Executor)
	}
	if spec.ServiceAccountName != "" {
		t.Errorf("serviceAccountName = %q: the build's pod must run without a service account of its own", spec.ServiceAccountName)
	}
	if spec.TTLStrategy != nil {
		t.Error("ttlStrategy is set: knapp prunes builds by spec.build.historyLimit")
	}
	if spec.ActiveDeadlineSeconds == nil || spec.PodGC == nil {
		t.Error("activeDeadlineSeconds and podGC must be set")
	}

	var build *wfv1.Template
	for i := range spec.Templates {
		if spec.Templates[i].Name == spec.Entrypoint {
			build = &spec.Templates[i]
		}
	}
	if build == nil {
		t.Fatalf("no entrypoint template %q", spec.Entrypoint)
	}
	var digest *wfv1.Parameter
	for i, p := range build.Outputs.Parameters {
		if p.GlobalName == DigestParameter {
			digest = &build.Outputs.Parameters[i]
		}
	}
	if digest == nil || digest.ValueFrom == nil || digest.ValueFrom.Path == "" {
		t.Fatalf("entrypoint has no output parameter with globalName %s read from a file", DigestParameter)
	}
	if !strings.Contains(strings.Join(build.Container.Args, " "), `"--digest-file=$WORKSPACE/digest"`) ||
		envValue(*build.Container, "WORKSPACE")+"/digest" != digest.ValueFrom.Path {
		t.Errorf("kaniko does not write the digest to %s, where the output parameter reads it", digest.ValueFrom.Path)
	}
	// The git credentials reach the clone step alone: never the builder,
	// which runs the Dockerfile's commands.
	for _, c := range append([]corev1.Container{*build.Container}, initContainers(build)...) {
		mounted := false
		for _, m := range c.VolumeMounts {
			mounted = mounted || m.Name == "git-credentials"
		}
		if mounted != (c.Name == "clone") {
			t.Errorf("container %q mounts the git credentials: %v (only the clone step may)", c.Name, mounted)
		}
	}
	for _, c := range append([]corev1.Container{*build.Container}, initContainers(build)...) {
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("container %s has no cpu and memory requests", c.Name)
		}
		for _, m := range c.VolumeMounts {
			if strings.Contains(m.MountPath, "serviceaccount") {
				t.Errorf("container %s mounts %s", c.Name, m.MountPath)
			}
		}
	}
	for _, c := range initContainers(build) {
		sc := c.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("init container %s must run as non-root without privilege escalation", c.Name)
		}
	}
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func initContainers(tmpl *wfv1.Template) []corev1.Container {
	var cs []corev1.Container
	for _, c := range tmpl.InitContainers {
		cs = append(cs, c.Container)
	}
	return cs
}

// TestExecutorRBAC checks config/build/executor-rbac.yaml: the executor's
// account may create and patch WorkflowTaskResults, and nothing else.
func TestExecutorRBAC(t *testing.T) {
	data, err := os.ReadFile(executorRBACPath)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		kinds[meta.Kind]++
		switch meta.Kind {
		case "Role":
			var role rbacv1.Role
			if err := yaml.UnmarshalStrict(doc, &role); err != nil {
				t.Fatal(err)
			}
			want := []rbacv1.PolicyRule{{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch"}}}
			if role.Name != "knapp-build-executor" || fmt.Sprint(role.Rules) != fmt.Sprint(want) {
				t.Errorf("Role %s rules = %v, want %v", role.Name, role.Rules, want)
			}
		case "RoleBinding":
			var rb rbacv1.RoleBinding
			if err := yaml.UnmarshalStrict(doc, &rb); err != nil {
				t.Fatal(err)
			}
			if rb.RoleRef.Name != "knapp-build-executor" || len(rb.Subjects) != 1 ||
				rb.Subjects[0].Kind != "ServiceAccount" || rb.Subjects[0].Name != "knapp-build-executor" {
				t.Errorf("RoleBinding = %+v", rb)
			}
		case "ServiceAccount":
			var sa corev1.ServiceAccount
			if err := yaml.UnmarshalStrict(doc, &sa); err != nil {
				t.Fatal(err)
			}
		case "Secret":
			var s corev1.Secret
			if err := yaml.UnmarshalStrict(doc, &s); err != nil {
				t.Fatal(err)
			}
			// Argo's executor mounts the token of <account>.service-account-token.
			if s.Name != "knapp-build-executor.service-account-token" || s.Type != corev1.SecretTypeServiceAccountToken ||
				s.Annotations[corev1.ServiceAccountNameKey] != "knapp-build-executor" {
				t.Errorf("Secret = %+v", s.ObjectMeta)
			}
		default:
			t.Errorf("unexpected kind %q", meta.Kind)
		}
	}
	for _, k := range []string{"ServiceAccount", "Role", "RoleBinding", "Secret"} {
		if kinds[k] != 1 {
			t.Errorf("want one %s, got %d", k, kinds[k])
		}
	}
}

// templateGetters serve Argo's validation the templates a build Workflow
// references, offline: the platform's ClusterWorkflowTemplate knapp-build,
// and a namespaced WorkflowTemplate team-build with the same spec.
type templateGetters struct {
	cluster    clusterTemplates
	namespaced namespacedTemplates
}

type clusterTemplates map[string]*wfv1.ClusterWorkflowTemplate

func (c clusterTemplates) Get(name string) (*wfv1.ClusterWorkflowTemplate, error) {
	if t, ok := c[name]; ok {
		return t.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(wfv1.SchemeGroupVersion.WithResource("clusterworkflowtemplates").GroupResource(), name)
}

type namespacedTemplates map[string]*wfv1.WorkflowTemplate

func (n namespacedTemplates) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if t, ok := n[name]; ok {
		return t.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(wfv1.SchemeGroupVersion.WithResource("workflowtemplates").GroupResource(), name)
}

func newTemplateGetters(t *testing.T) templateGetters {
	t.Helper()
	data, err := os.ReadFile(buildTemplatePath)
	if err != nil {
		t.Fatal(err)
	}
	cwft := &wfv1.ClusterWorkflowTemplate{}
	// Strict: a misspelt field would be dropped silently by Argo's API server.
	if err := yaml.UnmarshalStrict(data, cwft); err != nil {
		t.Fatalf("%s: %v", buildTemplatePath, err)
	}
	if cwft.Kind != "ClusterWorkflowTemplate" || cwft.APIVersion != wfv1.SchemeGroupVersion.String() || cwft.Name != "knapp-build" {
		t.Fatalf("%s holds %s %s %q, want ClusterWorkflowTemplate knapp-build", buildTemplatePath, cwft.APIVersion, cwft.Kind, cwft.Name)
	}
	team := &wfv1.WorkflowTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: wfv1.SchemeGroupVersion.String(), Kind: "WorkflowTemplate"},
		ObjectMeta: metav1.ObjectMeta{Name: "team-build", Namespace: "team-a"},
		Spec:       *cwft.Spec.DeepCopy(),
	}
	return templateGetters{
		cluster:    clusterTemplates{cwft.Name: cwft},
		namespaced: namespacedTemplates{team.Name: team},
	}
}

// argoValidate runs Argo's validation of a submitted Workflow, resolving its
// workflowTemplateRef with the getters. It validates a copy: Argo's
// validation stores the templates it resolved in the Workflow's
// status.storedTemplates and, validating that Workflow again, uses them
// instead of the getters'.
func argoValidate(wftGetter templateresolution.WorkflowTemplateNamespacedGetter, cwftGetter templateresolution.ClusterWorkflowTemplateGetter, wf *wfv1.Workflow) error {
	return validate.ValidateWorkflow(wftGetter, cwftGetter, wf.DeepCopy(), nil, validate.ValidateOpts{Submit: true})
}

// assertArgoAccepts runs Argo's validation of a submitted Workflow against
// the templates in g.
func (g templateGetters) assertArgoAccepts(t *testing.T, wf *wfv1.Workflow) {
	t.Helper()
	if err := argoValidate(g.namespaced, g.cluster, wf); err != nil {
		t.Errorf("Argo refuses Workflow %s: %v", wf.Name, err)
	}
}

func TestBuildWorkflowArgoValidation(t *testing.T) {
	g := newTemplateGetters(t)
	longName := strings.Repeat("a", 49)
	app := newApp(withBuild(), func(a *v1alpha1.App) { a.Name = longName })
	wf := MakeBuildWorkflow(app, BuildTrigger{Revision: "main", Source: BuildTriggerSpec}, platform.Default())
	g.assertArgoAccepts(t, wf)

	// Argo refuses what the template cannot run: a missing required
	// parameter, and a template that does not exist.
	noURL := wf.DeepCopy()
	noURL.Spec.Arguments.Parameters = noURL.Spec.Arguments.Parameters[1:]
	if err := argoValidate(g.namespaced, g.cluster, noURL); err == nil {
		t.Error("Argo accepted a build without git-url")
	}
	missing := MakeBuildWorkflow(newApp(withBuild(func(b *v1alpha1.BuildSpec) {
		b.TemplateRef = &v1alpha1.TemplateRef{Name: "no-such-template", ClusterScope: true}
	})), BuildTrigger{Source: BuildTriggerSpec}, platform.Default())
	if err := argoValidate(g.namespaced, g.cluster, missing); err == nil {
		t.Error("Argo accepted a build whose template does not exist")
	}
	// Resolving the reference, Argo checks every {{workflow.parameters.*}}
	// of the template against the Workflow's and the template's arguments.
	broken := g.cluster["knapp-build"].DeepCopy()
	broken.Spec.Templates[0].Container.Args = append(broken.Spec.Templates[0].Container.Args, "--label=x={{workflow.parameters.no-such-parameter}}")
	brokenGetter := clusterTemplates{broken.Name: broken}
	if err := argoValidate(g.namespaced, brokenGetter, wf); err == nil {
		t.Error("Argo accepted a build whose template references a parameter nobody sets")
	}
}

func TestBuildWorkflowName(t *testing.T) {
	base := newApp(withBuild())
	spec := BuildTrigger{Revision: "main", Source: BuildTriggerSpec}
	name := BuildWorkflowName(base, spec)
	if name != BuildWorkflowName(newApp(withBuild()), spec) {
		t.Fatal("BuildWorkflowName is not deterministic")
	}
	// Pinned: a change of the hash renames every App's build, and knapp
	// would build them all again after an upgrade. Fields added later
	// count only when set, so this name never changes.
	if name != pinnedBuildName {
		t.Errorf("the build of the base App is %s, was %s: knapp would rebuild every App after an upgrade", name, pinnedBuildName)
	}
	if !strings.HasPrefix(name, "shop-b") || len(name) != len("shop-b")+8 || strings.Trim(name[len("shop-b"):], "0123456789abcdef") != "" {
		t.Errorf("name %q, want shop-b<8 hex digits>", name)
	}
	// What asked for the build is not an input: the same build.
	if got := BuildWorkflowName(base, BuildTrigger{Revision: "main", Source: BuildTriggerHook}); got != name {
		t.Errorf("hook trigger of the spec's revision: %s, want %s", got, name)
	}
	// Defaults count as their values.
	if got := BuildWorkflowName(base, BuildTrigger{Source: BuildTriggerSpec}); got != name {
		t.Errorf("trigger without revision: %s, want %s (main)", got, name)
	}
	explicit := newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.Dockerfile, b.Context, b.Git.Revision = "Dockerfile", ".", "main" }))
	if got := BuildWorkflowName(explicit, spec); got != name {
		t.Errorf("explicit defaults: %s, want %s", got, name)
	}

	seen := map[string]string{name: "base"}
	for desc, app := range map[string]*v1alpha1.App{
		"url":        newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.Git.URL = "https://git.example.com/team-a/other.git" })),
		"dockerfile": newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.Dockerfile = "Dockerfile.prod" })),
		"context":    newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.Context = "app" })),
		"repository": newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.ImageRepository = "registry.example.com/team-a/other" })),
		"template":   newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.TemplateRef = &v1alpha1.TemplateRef{Name: "knapp-build"} })),
		"cluster-template": newApp(withBuild(func(b *v1alpha1.BuildSpec) {
			b.TemplateRef = &v1alpha1.TemplateRef{Name: "knapp-build", ClusterScope: true}
		})),
		"secret":           newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.RegistrySecretName = "registry-push" })),
		"git-secret":       newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.Git.SecretName = "git-token" })),
		"build-args":       newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.BuildArgs = []v1alpha1.BuildArg{{Name: "A", Value: "1"}} })),
		"build-args-value": newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.BuildArgs = []v1alpha1.BuildArg{{Name: "A", Value: "2"}} })),
		"cache":            newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.CacheRepository = "registry.example.com/team-a/cache" })),
		"timeout":          newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.Timeout = &metav1.Duration{Duration: time.Hour} })),
		// Text moved from one input to the next must not give the same hash.
		"shifted": newApp(withBuild(func(b *v1alpha1.BuildSpec) { b.Dockerfile, b.Context = "Dockerfile.", "" })),
	} {
		got := BuildWorkflowName(app, spec)
		if prev, dup := seen[got]; dup {
			t.Errorf("%s gives the same name as %s: %s", desc, prev, got)
		}
		seen[got] = desc
	}
	for _, rev := range []string{"develop", "v1.4.2", commit} {
		got := BuildWorkflowName(base, BuildTrigger{Revision: rev, Source: BuildTriggerHook})
		if prev, dup := seen[got]; dup {
			t.Errorf("revision %s gives the same name as %s: %s", rev, prev, got)
		}
		seen[got] = rev
	}
	// Other Apps never share a name (the App's name is a prefix).
	if got := BuildWorkflowName(newApp(withBuild(), func(a *v1alpha1.App) { a.Name = "shop2" }), spec); got == name {
		t.Error("two Apps share a build name")
	}

	long := newApp(withBuild(), func(a *v1alpha1.App) { a.Name = strings.Repeat("x", 49) })
	if got := BuildWorkflowName(long, BuildTrigger{Revision: commit, Source: BuildTriggerHook}); len(got) > 63 {
		t.Errorf("name of a 49-character App is %d characters: %s", len(got), got)
	}
}

func TestBuildImageTag(t *testing.T) {
	for rev, want := range map[string]string{
		"main":                   "main",
		"v1.4.2":                 "v1.4.2",
		"release/1.4":            "release-1.4",
		"feature/JIRA-12_login":  "feature-JIRA-12_login",
		"refs/heads/main":        "refs-heads-main",
		commit:                   "3f7c2a9e41b0",
		strings.Repeat("ab", 32): "abababababab", // a sha256 commit
		"3f7c2a9":                "3f7c2a9",      // abbreviated: kept
		"3F7C2A9E41B05D6C8E9F0A1B2C3D4E5F60718293": "3F7C2A9E41B05D6C8E9F0A1B2C3D4E5F60718293", // not a commit id git prints
		".hidden":                "_hidden",
		"-x":                     "_x",
		"a+b@c":                  "a-b-c",
		"":                       "latest",
		strings.Repeat("r", 300): strings.Repeat("r", 128),
	} {
		got := BuildImageTag(rev)
		if got != want {
			t.Errorf("BuildImageTag(%q) = %q, want %q", rev, got, want)
		}
		if len(got) > 128 || got[0] == '.' || got[0] == '-' || strings.Trim(got, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != "" {
			t.Errorf("BuildImageTag(%q) = %q is not a valid tag", rev, got)
		}
	}
}

func TestMakeBuildWorkflowOptionalInputs(t *testing.T) {
	app := newApp(withBuild(func(b *v1alpha1.BuildSpec) {
		b.Git.SecretName = "git-token"
		b.BuildArgs = []v1alpha1.BuildArg{{Name: "A", Value: "x y"}, {Name: "B"}}
		b.CacheRepository = "registry.example.com/team-a/cache"
		b.Timeout = &metav1.Duration{Duration: 90 * time.Minute}
	}))
	wf := MakeBuildWorkflow(app, BuildTrigger{Source: BuildTriggerSpec}, platform.Default())
	for name, want := range map[string]string{
		BuildParamGitSecret:       "git-token",
		BuildParamBuildArgs:       "A=x y\nB=",
		BuildParamCacheRepository: "registry.example.com/team-a/cache",
	} {
		if p := wf.Spec.Arguments.GetParameterByName(name); p == nil || p.Value.String() != want {
			t.Errorf("parameter %s = %v, want %q", name, p, want)
		}
	}
	if d := wf.Spec.ActiveDeadlineSeconds; d == nil || *d != 5400 {
		t.Errorf("activeDeadlineSeconds = %v, want 5400 (spec.build.timeout 90m)", d)
	}
	// Unset, they are not parameters at all: a template without them still
	// serves such Apps, and the template's own deadline applies.
	plain := MakeBuildWorkflow(newApp(withBuild()), BuildTrigger{Source: BuildTriggerSpec}, platform.Default())
	for _, name := range []string{BuildParamGitSecret, BuildParamBuildArgs, BuildParamCacheRepository} {
		if p := plain.Spec.Arguments.GetParameterByName(name); p != nil {
			t.Errorf("parameter %s set without its field: %v", name, p)
		}
	}
	if plain.Spec.ActiveDeadlineSeconds != nil {
		t.Errorf("activeDeadlineSeconds set without spec.build.timeout")
	}
	newTemplateGetters(t).assertArgoAccepts(t, wf)
}

func TestUndeclaredBuildParams(t *testing.T) {
	declared := newTemplateGetters(t).cluster["knapp-build"].Spec.Arguments.Parameters
	app := newApp(withBuild(func(b *v1alpha1.BuildSpec) {
		b.Git.SecretName = "git-token"
		b.BuildArgs = []v1alpha1.BuildArg{{Name: "A", Value: "1"}}
		b.CacheRepository = "registry.example.com/team-a/cache"
		b.RegistrySecretName = "push"
	}))
	if missing := UndeclaredBuildParams(app, declared); len(missing) != 0 {
		t.Errorf("the platform's template lacks %v", missing)
	}
	// A template from before build arguments: fine for an App without them,
	// refused with the parameter and its field for one with them.
	var old []wfv1.Parameter
	for _, p := range declared {
		if p.Name != BuildParamBuildArgs {
			old = append(old, p)
		}
	}
	if missing := UndeclaredBuildParams(newApp(withBuild()), old); len(missing) != 0 {
		t.Errorf("an App without build arguments needs %v", missing)
	}
	missing := UndeclaredBuildParams(app, old)
	if fmt.Sprint(missing) != "[build-args]" {
		t.Fatalf("missing = %v, want [build-args]", missing)
	}
	if got := BuildParamFields(missing); got != "build-args from spec.build.buildArgs" {
		t.Errorf("BuildParamFields = %q", got)
	}
}
