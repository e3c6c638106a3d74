package chart

import (
	"maps"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What hack/chart-sync.sh copies from config/ (controller-gen's CRD and
// ClusterRole, the build template and its executor RBAC): these tests prove
// the templates pass it on unchanged, and fail when the copies are stale.

// TestCRDsMatchConfig: the rendered CRD is config/crd/bases's, with only
// the chart's labels and the keep annotation added.
func TestCRDsMatchConfig(t *testing.T) {
	want := decodeFile[apiextensionsv1.CustomResourceDefinition](t, repoPath(t, "config", "crd", "bases", "knapp.dev_apps.yaml"))[0]
	r := render(t, "")
	if n := len(r.Kind("CustomResourceDefinition")); n != 1 {
		t.Fatalf("%d CRDs rendered", n)
	}
	var got apiextensionsv1.CustomResourceDefinition
	decodeStrict(t, r.Get(t, "CustomResourceDefinition", want.Name), &got)
	if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
		t.Error("the rendered CRD's spec differs from config/crd/bases: run make manifests (hack/chart-sync.sh)")
	}
	checkAddedMetadata(t, got.ObjectMeta, want.ObjectMeta, map[string]string{"helm.sh/resource-policy": "keep"})
}

// TestManagerRulesMatchConfig: the manager's ClusterRole has exactly the
// rules of config/rbac/role.yaml, and so has its Role for Knative Serving's
// namespace, which moves to platform.knativeServingNamespace; each bound to
// the release's ServiceAccount.
func TestManagerRulesMatchConfig(t *testing.T) {
	roles := decodeFile[rbacv1.ClusterRole](t, repoPath(t, "config", "rbac", "role.yaml")) // a Role's fields are a subset
	if len(roles) != 2 || roles[0].Kind != "ClusterRole" || roles[1].Kind != "Role" || roles[1].Namespace != "knative-serving" {
		t.Fatalf("config/rbac/role.yaml: want a ClusterRole and a Role in knative-serving, got %d roles", len(roles))
	}
	r := render(t, "platform: {knativeServingNamespace: serving}")
	for _, want := range roles {
		ns, binding := "", "ClusterRoleBinding"
		if want.Kind == "Role" {
			ns, binding = "serving", "RoleBinding"
		}
		var got rbacv1.ClusterRole
		decodeStrict(t, r.Get(t, want.Kind, want.Name, ns), &got)
		if !equality.Semantic.DeepEqual(got.Rules, want.Rules) || got.AggregationRule != nil {
			t.Errorf("%s %s rules\n%v\nwant config/rbac/role.yaml's\n%v", want.Kind, want.Name, got.Rules, want.Rules)
		}
		want.Namespace = ns
		checkAddedMetadata(t, got.ObjectMeta, want.ObjectMeta, nil)
		var b rbacv1.RoleBinding
		decodeStrict(t, r.Get(t, binding, want.Name, ns), &b)
		if b.RoleRef.Kind != want.Kind || b.RoleRef.Name != want.Name || len(b.Subjects) != 1 ||
			b.Subjects[0].Name != "knapp" || b.Subjects[0].Namespace != namespace {
			t.Errorf("%s %s: roleRef %+v, subjects %+v", binding, want.Name, b.RoleRef, b.Subjects)
		}
	}
}

// TestTenantRolesMatchConfig: the tenant roles are config/rbac's, aggregate
// into Kubernetes' admin, edit and view, and grant nothing but Apps: never
// apps/status, which holds host claims and the built image.
func TestTenantRolesMatchConfig(t *testing.T) {
	wants := decodeFile[rbacv1.ClusterRole](t, repoPath(t, "config", "rbac", "tenant-roles.yaml"))
	aggregates := map[string][]string{"knapp-app-edit": {"admin", "edit"}, "knapp-app-view": {"view"}}
	if len(wants) != len(aggregates) {
		t.Fatalf("config/rbac/tenant-roles.yaml has %d roles, want %d", len(wants), len(aggregates))
	}
	r := render(t, "")
	for _, want := range wants {
		var got rbacv1.ClusterRole
		decodeStrict(t, r.Get(t, "ClusterRole", want.Name), &got)
		if !equality.Semantic.DeepEqual(got.Rules, want.Rules) {
			t.Errorf("ClusterRole %s rules %v, want config/rbac's %v", want.Name, got.Rules, want.Rules)
		}
		checkAddedMetadata(t, got.ObjectMeta, want.ObjectMeta, nil)
		for _, to := range aggregates[want.Name] {
			if got.Labels["rbac.authorization.k8s.io/aggregate-to-"+to] != "true" {
				t.Errorf("ClusterRole %s does not aggregate to %s", want.Name, to)
			}
		}
		for _, rule := range got.Rules {
			if !slices.Equal(rule.APIGroups, []string{"knapp.dev"}) || !slices.Equal(rule.Resources, []string{"apps"}) {
				t.Errorf("ClusterRole %s grants more than Apps: %+v", want.Name, rule)
			}
		}
	}
}

// TestBuildTemplateMatchesConfig: the ClusterWorkflowTemplate is
// config/build/knapp-build.yaml's, Argo's {{...}} references untouched.
func TestBuildTemplateMatchesConfig(t *testing.T) {
	want := decodeFile[wfv1.ClusterWorkflowTemplate](t, repoPath(t, "config", "build", "knapp-build.yaml"))[0]
	var got wfv1.ClusterWorkflowTemplate
	decodeStrict(t, render(t, "").Get(t, "ClusterWorkflowTemplate", want.Name), &got)
	if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
		t.Error("the rendered ClusterWorkflowTemplate's spec differs from config/build/knapp-build.yaml: run make manifests (hack/chart-sync.sh)")
	}
	if c := got.Spec.Templates[0].Container; c == nil || !slices.Contains(c.Env, corev1.EnvVar{Name: "IMAGE_REPOSITORY", Value: "{{workflow.parameters.image-repository}}"}) {
		t.Errorf("Argo's parameter references do not survive: %+v", c)
	}
	checkAddedMetadata(t, got.ObjectMeta, want.ObjectMeta, nil)
}

// TestExecutorRBACMatchesConfig: each build namespace gets
// config/build/executor-rbac.yaml's objects, moved from its placeholder
// namespace to that one.
func TestExecutorRBACMatchesConfig(t *testing.T) {
	const ns = "team-x"
	cfg, err := parseManifestFile(repoPath(t, "config", "build", "executor-rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := render(t, "builds: {namespaces: ["+ns+"]}")
	if len(cfg) == 0 {
		t.Fatal("config/build/executor-rbac.yaml has no objects")
	}
	for _, want := range cfg {
		got, ok := r.Find(want.GetKind(), want.GetName(), ns)
		if !ok {
			t.Errorf("no %s in %s", want, ns)
			continue
		}
		// Strip what the chart changes: namespace, labels, subjects' namespace.
		placeholder := want.GetNamespace()
		for _, o := range []object{want, got} {
			o.SetNamespace("")
			o.SetLabels(nil)
			if subjects, ok := o.Object["subjects"].([]any); ok {
				for _, s := range subjects {
					if s := s.(map[string]any); s["namespace"] == placeholder || s["namespace"] == ns {
						delete(s, "namespace")
					}
				}
			}
		}
		if !equality.Semantic.DeepEqual(got.Object, want.Object) {
			t.Errorf("%s in %s:\n%v\nwant config's\n%v", want.GetKind(), ns, got.Object, want.Object)
		}
	}
}

// checkAddedMetadata: the chart keeps the name, labels and annotations of
// config's object and adds only its own labels and the annotations given.
func checkAddedMetadata(t *testing.T, got, want metav1.ObjectMeta, annotations map[string]string) {
	t.Helper()
	if got.Name != want.Name {
		t.Errorf("name %q, want %q", got.Name, want.Name)
	}
	wantLabels := maps.Clone(want.Labels)
	if wantLabels == nil {
		wantLabels = map[string]string{}
	}
	for k, v := range got.Labels {
		if _, ok := wantLabels[k]; !ok && (k == "helm.sh/chart" || strings.HasPrefix(k, "app.kubernetes.io/")) {
			wantLabels[k] = v
		}
	}
	if !maps.Equal(got.Labels, wantLabels) {
		t.Errorf("%s labels %v, want config's %v and the chart's", got.Name, got.Labels, want.Labels)
	}
	wantAnnotations := maps.Clone(want.Annotations)
	if wantAnnotations == nil {
		wantAnnotations = map[string]string{}
	}
	maps.Copy(wantAnnotations, annotations)
	if (len(got.Annotations) > 0 || len(wantAnnotations) > 0) && !maps.Equal(got.Annotations, wantAnnotations) {
		t.Errorf("%s annotations %v, want %v", got.Name, got.Annotations, wantAnnotations)
	}
}

// TestPoliciesMatchConfig: the policies and their bindings are
// config/policy's; the binding's parameter and the ConfigMap move to the
// release's namespace, which names the release's ServiceAccount and the
// trusted usernames (or platform.logRoot); policies.enabled=false renders
// none of it.
func TestPoliciesMatchConfig(t *testing.T) {
	var cfg []object
	for _, f := range []string{"domain-keys.yaml", "build-workflows.yaml", "pod-security.yaml"} {
		objs, err := parseManifestFile(repoPath(t, "config", "policy", f))
		if err != nil {
			t.Fatal(err)
		}
		cfg = append(cfg, objs...)
	}
	r := render(t, "policies: {trustedUsernames: [system:serviceaccount:knative-serving:controller, ops@example.com]}\nplatform: {logRoot: /srv/logs}")
	for _, want := range cfg {
		ns := ""
		if want.GetKind() == "ConfigMap" {
			ns = namespace
		}
		got, ok := r.Find(want.GetKind(), want.GetName(), ns)
		if !ok {
			t.Errorf("%s %s is not rendered", want.GetKind(), want.GetName())
			continue
		}
		switch want.GetKind() {
		case "ValidatingAdmissionPolicy":
			if !equality.Semantic.DeepEqual(got.Object["spec"], want.Object["spec"]) {
				t.Errorf("the rendered policy %s's spec differs from config/policy: run make manifests (hack/chart-sync.sh)", want.GetName())
			}
		case "ValidatingAdmissionPolicyBinding":
			spec := got.Object["spec"].(map[string]any)
			if !equality.Semantic.DeepEqual(spec["policyName"], want.Object["spec"].(map[string]any)["policyName"]) {
				t.Errorf("binding %s binds %v", want.GetName(), spec["policyName"])
			}
			param := "knapp-trusted-identities"
			if want.GetName() == "knapp-pod-security-baseline" {
				param = "knapp-logs-policy"
				if !equality.Semantic.DeepEqual(spec["matchResources"], want.Object["spec"].(map[string]any)["matchResources"]) {
					t.Errorf("binding %s matches %v", want.GetName(), spec["matchResources"])
				}
			}
			if ref := spec["paramRef"].(map[string]any); ref["namespace"] != namespace || ref["name"] != param || ref["parameterNotFoundAction"] != "Deny" {
				t.Errorf("binding paramRef %v", ref)
			}
		case "ConfigMap":
			data := got.Object["data"].(map[string]any)
			if want.GetName() == "knapp-logs-policy" {
				if data["logRoot"] != "/srv/logs" || len(data) != 1 {
					t.Errorf("the logs policy's parameter %v, want logRoot /srv/logs", data)
				}
				continue
			}
			if want := "system:serviceaccount:" + namespace + ":knapp,system:serviceaccount:knative-serving:controller,ops@example.com"; data["usernames"] != want {
				t.Errorf("trusted usernames %q, want %q", data["usernames"], want)
			}
			if want := "system:serviceaccount:" + namespace + ":knapp,system:serviceaccount:argo:argo"; data["buildUsernames"] != want {
				t.Errorf("trusted build usernames %q, want %q", data["buildUsernames"], want)
			}
		}
	}
	off := render(t, "policies: {enabled: false}")
	for _, kind := range []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} {
		if n := len(off.Kind(kind)); n != 0 {
			t.Errorf("policies.enabled=false renders %d %s", n, kind)
		}
	}
	for _, name := range []string{"knapp-trusted-identities", "knapp-logs-policy"} {
		if _, ok := off.Find("ConfigMap", name, namespace); ok {
			t.Errorf("policies.enabled=false renders the ConfigMap %s", name)
		}
	}
}
