package chart

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// toggle is a values file a platform team may use, and what it must change
// from the default rendering: the objects it adds and removes (by
// Kind/namespace/name), and a check of the rest.
type toggle struct {
	name, values   string
	added, removed []string
	check          func(t *testing.T, r rendered)
}

// The objects that self-signed webhook certificates need, and only they.
var selfSignedObjects = []string{
	"Secret/" + namespace + "/knapp-webhook-cert",
	"Role/" + namespace + "/knapp-webhook-cert",
	"RoleBinding/" + namespace + "/knapp-webhook-cert",
	"ClusterRole//knapp-webhook-configurations",
	"ClusterRoleBinding//knapp-webhook-configurations",
}

var webhookObjects = []string{
	"Service/" + namespace + "/knapp-webhook",
	"MutatingWebhookConfiguration//knapp-podlogs",
	"MutatingWebhookConfiguration//knapp-app-defaulting",
	"ValidatingWebhookConfiguration//knapp-app-validation",
}

func executorObjects(ns string) []string {
	return []string{
		"ServiceAccount/" + ns + "/knapp-build-executor",
		"Role/" + ns + "/knapp-build-executor",
		"RoleBinding/" + ns + "/knapp-build-executor",
		"Secret/" + ns + "/knapp-build-executor.service-account-token",
	}
}

var toggles = []toggle{
	{name: "defaults"},
	{
		name:    "cert-manager",
		values:  "webhooks: {certManager: {enabled: true}}",
		added:   []string{"Issuer/" + namespace + "/knapp-selfsigned", "Certificate/" + namespace + "/knapp-webhook"},
		removed: selfSignedObjects,
		check: func(t *testing.T, r rendered) {
			checkCertManager(t, r, map[string]any{"name": "knapp-selfsigned", "kind": "Issuer", "group": "cert-manager.io"})
		},
	},
	{
		name:    "cert-manager with an issuer",
		values:  "webhooks: {certManager: {enabled: true, issuerRef: {name: corp-ca, kind: ClusterIssuer}}}",
		added:   []string{"Certificate/" + namespace + "/knapp-webhook"},
		removed: selfSignedObjects,
		check: func(t *testing.T, r rendered) {
			checkCertManager(t, r, map[string]any{"name": "corp-ca", "kind": "ClusterIssuer"})
		},
	},
	{
		name:    "webhooks off",
		values:  "webhooks: {enabled: false}",
		removed: append(slices.Clone(selfSignedObjects), webhookObjects...),
		check: func(t *testing.T, r rendered) {
			c := manager(t, r)
			wantArgs(t, c, []string{"--enable-webhooks=false"}, []string{"--webhook-"})
			if hasPort(c, "webhook") || len(c.VolumeMounts) != 1 {
				t.Errorf("webhook port or certificate volume without webhooks: %+v, %+v", c.Ports, c.VolumeMounts)
			}
		},
	},
	{
		name:    "CRDs not installed",
		values:  "crds: {install: false}",
		removed: []string{"CustomResourceDefinition//apps.knapp.dev"},
	},
	{
		name:   "CRDs not kept",
		values: "crds: {keep: false}",
		check: func(t *testing.T, r rendered) {
			if _, ok := r.Get(t, "CustomResourceDefinition", "apps.knapp.dev").GetAnnotations()["helm.sh/resource-policy"]; ok {
				t.Error("the CRD keeps its resource policy with crds.keep false")
			}
		},
	},
	{
		name:   "ServiceMonitor",
		values: "metrics: {serviceMonitor: {enabled: true, interval: 15s, labels: {release: prometheus}}}",
		added:  []string{"ServiceMonitor/" + namespace + "/knapp"},
		check:  checkServiceMonitor,
	},
	{
		name:    "no PodDisruptionBudget",
		values:  "podDisruptionBudget: {enabled: false}",
		removed: []string{"PodDisruptionBudget/" + namespace + "/knapp"},
	},
	{
		name:   "build namespaces",
		values: "builds: {namespaces: [team-a, team-b]}",
		added:  append(executorObjects("team-a"), executorObjects("team-b")...),
		check: func(t *testing.T, r rendered) {
			for _, ns := range []string{"team-a", "team-b"} {
				var rb rbacv1.RoleBinding
				decodeStrict(t, r.Get(t, "RoleBinding", "knapp-build-executor", ns), &rb)
				if len(rb.Subjects) != 1 || rb.Subjects[0].Namespace != ns {
					t.Errorf("RoleBinding in %s binds %+v", ns, rb.Subjects)
				}
			}
		},
	},
	{
		name:    "no build template",
		values:  "builds: {clusterWorkflowTemplate: {install: false}}",
		removed: []string{"ClusterWorkflowTemplate//knapp-build"},
	},
	{
		name:    "hooks off",
		values:  "hooks: {enabled: false}",
		removed: []string{"Service/" + namespace + "/knapp-hooks"},
		check: func(t *testing.T, r rendered) {
			c := manager(t, r)
			wantArgs(t, c, []string{"--hook-bind-address=0"}, nil)
			if hasPort(c, "hooks") {
				t.Error("hooks port without hooks")
			}
		},
	},
}

// TestToggles renders every toggle and checks exactly which objects it adds
// and removes, and what else it must change.
func TestToggles(t *testing.T) {
	base := render(t, "").Names()
	for _, tg := range toggles {
		t.Run(tg.name, func(t *testing.T) {
			r := render(t, tg.values)
			got := r.Names()
			added, removed := diff(base, got), diff(got, base)
			if !sameSet(added, tg.added) || !sameSet(removed, tg.removed) {
				t.Errorf("added %v, want %v; removed %v, want %v", added, tg.added, removed, tg.removed)
			}
			if tg.check != nil {
				tg.check(t, r)
			}
		})
	}
}

// diff lists what b has and a does not.
func diff(a, b []string) []string {
	var out []string
	for _, s := range b {
		if !slices.Contains(a, s) {
			out = append(out, s)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

// manager is the manager container of the rendered Deployment.
func manager(t *testing.T, r rendered) corev1.Container {
	t.Helper()
	var d appsv1.Deployment
	decodeStrict(t, r.Get(t, "Deployment", "knapp"), &d)
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%d containers", n)
	}
	return d.Spec.Template.Spec.Containers[0]
}

// wantArgs checks that c has every arg of want and none starting with a
// prefix in not.
func wantArgs(t *testing.T, c corev1.Container, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(c.Args, w) {
			t.Errorf("args %q lack %q", c.Args, w)
		}
	}
	for _, arg := range c.Args {
		for _, n := range not {
			if strings.HasPrefix(arg, n) {
				t.Errorf("args %q have %q", c.Args, arg)
			}
		}
	}
}

func hasPort(c corev1.Container, name string) bool {
	return slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == name })
}
