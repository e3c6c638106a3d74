package chart

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
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
		"NetworkPolicy/" + ns + "/knapp-build",
		"Role/" + ns + "/knapp-build-secrets",
		"RoleBinding/" + ns + "/knapp-build-secrets",
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
				checkBuildNetworkPolicy(t, r, ns, []string{"169.254.0.0/16", "10.244.0.0/16", "10.96.0.0/12"}, []string{"fe80::/10", "fd00:ec2::254/128"}, 0)
			}
		},
	},
	{
		name: "build network policy with the platform's networks",
		values: "builds: {namespaces: [team-a], networkPolicy: {clusterCIDRs: [10.0.0.0/14, fd12::/48], " +
			"extraEgress: [{to: [{ipBlock: {cidr: 10.1.2.3/32}}], ports: [{port: 443, protocol: TCP}]}]}}",
		added: executorObjects("team-a"),
		check: func(t *testing.T, r rendered) {
			checkBuildNetworkPolicy(t, r, "team-a", []string{"169.254.0.0/16", "10.0.0.0/14"}, []string{"fe80::/10", "fd00:ec2::254/128", "fd12::/48"}, 1)
		},
	},
	{
		name:   "build namespaces without the network policy",
		values: "builds: {namespaces: [team-a], networkPolicy: {enabled: false}}",
		added:  slices.DeleteFunc(executorObjects("team-a"), func(s string) bool { return strings.HasPrefix(s, "NetworkPolicy/") }),
	},
	{
		name:    "no build template",
		values:  "builds: {clusterWorkflowTemplate: {install: false}}",
		removed: []string{"ClusterWorkflowTemplate//knapp-build"},
	},
	{
		name:   "hook limits",
		values: "hooks: {maxConcurrent: 8, buildsPerMinute: 2}",
		check: func(t *testing.T, r rendered) {
			wantArgs(t, manager(t, r), []string{"--hook-max-concurrent=8", "--hook-builds-per-minute=2"}, nil)
		},
	},
	{
		name:    "hooks off",
		values:  "hooks: {enabled: false}",
		removed: []string{"Service/" + namespace + "/knapp-hooks"},
		check: func(t *testing.T, r rendered) {
			c := manager(t, r)
			wantArgs(t, c, []string{"--hook-bind-address=0"}, []string{"--hook-max-concurrent", "--hook-builds-per-minute"})
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

// checkBuildNetworkPolicy: the build pods of ns get no ingress, DNS to
// kube-dns, the world but the denied networks (v4, v6), and extra more
// egress rules.
func checkBuildNetworkPolicy(t *testing.T, r rendered, ns string, v4, v6 []string, extra int) {
	t.Helper()
	var np networkingv1.NetworkPolicy
	decodeStrict(t, r.Get(t, "NetworkPolicy", "knapp-build", ns), &np)
	if np.Spec.PodSelector.MatchLabels["knapp.dev/build"] != "true" || len(np.Spec.Ingress) != 0 ||
		!slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
		t.Errorf("NetworkPolicy in %s: %+v", ns, np.Spec)
	}
	if len(np.Spec.Egress) != 2+extra {
		t.Fatalf("NetworkPolicy in %s has %d egress rules, want %d", ns, len(np.Spec.Egress), 2+extra)
	}
	if dns := np.Spec.Egress[0]; len(dns.Ports) != 2 || dns.Ports[0].Port.IntValue() != 53 || len(dns.To) != 1 || dns.To[0].PodSelector.MatchLabels["k8s-app"] != "kube-dns" {
		t.Errorf("the first rule is not DNS: %+v", dns)
	}
	world := np.Spec.Egress[1]
	if len(world.Ports) != 0 || len(world.To) != 2 {
		t.Fatalf("the world rule: %+v", world)
	}
	for i, want := range []struct {
		cidr   string
		except []string
	}{{"0.0.0.0/0", v4}, {"::/0", v6}} {
		if b := world.To[i].IPBlock; b == nil || b.CIDR != want.cidr || !slices.Equal(b.Except, want.except) {
			t.Errorf("ipBlock %d: %+v, want %s except %v", i, b, want.cidr, want.except)
		}
	}
}
