package chart

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/controllers/app"
)

// TestDefaults checks the default rendering: the objects, their namespace
// and labels, and the manager's Deployment as the platform expects it.
func TestDefaults(t *testing.T) {
	r := render(t, "")
	want := []string{
		"CustomResourceDefinition//apps.knapp.dev",
		"ServiceAccount/" + namespace + "/knapp",
		"ClusterRole//knapp-manager", "ClusterRoleBinding//knapp-manager",
		"Role/knative-serving/knapp-manager", "RoleBinding/knative-serving/knapp-manager",
		"Role/" + namespace + "/knapp-leader-election", "RoleBinding/" + namespace + "/knapp-leader-election",
		"ConfigMap/" + namespace + "/knapp-platform",
		"Deployment/" + namespace + "/knapp",
		"PodDisruptionBudget/" + namespace + "/knapp",
		"Service/" + namespace + "/knapp-hooks", "Service/" + namespace + "/knapp-metrics",
		"ClusterWorkflowTemplate//knapp-build",
		"ClusterRole//knapp-app-edit", "ClusterRole//knapp-app-view",
		"ValidatingAdmissionPolicy//knapp-domain-keys", "ValidatingAdmissionPolicyBinding//knapp-domain-keys",
		"ValidatingAdmissionPolicy//knapp-build-workflows", "ValidatingAdmissionPolicyBinding//knapp-build-workflows",
		"ConfigMap/" + namespace + "/knapp-trusted-identities",
		"ValidatingAdmissionPolicy//knapp-pod-security-baseline", "ValidatingAdmissionPolicyBinding//knapp-pod-security-baseline",
		"ConfigMap/" + namespace + "/knapp-logs-policy",
	}
	want = append(append(want, selfSignedObjects...), webhookObjects...)
	if got := r.Names(); !sameSet(got, want) {
		t.Errorf("objects %v, want %v (missing %v, extra %v)", got, want, diff(got, want), diff(want, got))
	}
	for _, o := range r.Objects {
		// Only the manager's Role for Knative's config maps is elsewhere.
		if ns := o.GetNamespace(); ns != "" && ns != namespace && (ns != "knative-serving" || o.GetName() != "knapp-manager") {
			t.Errorf("%s is in namespace %s", o, ns)
		}
		l := o.GetLabels()
		for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "app.kubernetes.io/component", "helm.sh/chart"} {
			if l[k] == "" {
				t.Errorf("%s lacks label %s", o, k)
			}
		}
		if l["app.kubernetes.io/instance"] != releaseName || l["helm.sh/chart"] != "knapp-0.1.0" || l["app.kubernetes.io/version"] != "0.1.0" {
			t.Errorf("%s labels %v", o, l)
		}
	}
	if !strings.Contains(r.Notes, "namespace "+namespace) {
		t.Errorf("NOTES.txt: %s", r.Notes)
	}

	var d appsv1.Deployment
	decodeStrict(t, r.Get(t, "Deployment", "knapp"), &d)
	checkDeployment(t, d)

	var pdb policyv1.PodDisruptionBudget
	decodeStrict(t, r.Get(t, "PodDisruptionBudget", "knapp"), &pdb)
	if pdb.Spec.MinAvailable == nil || *pdb.Spec.MinAvailable != intstr.FromInt32(1) || !maps.Equal(pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("PodDisruptionBudget %+v", pdb.Spec)
	}
	checkServices(t, r, d.Spec.Template.Labels)
}

func checkDeployment(t *testing.T, d appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	if ptr.Deref(d.Spec.Replicas, 0) != 2 || pod.ServiceAccountName != "knapp" || c.Image != "ghcr.io/knapp-dev/knapp:0.1.0" {
		t.Errorf("replicas %v, account %q, image %q", d.Spec.Replicas, pod.ServiceAccountName, c.Image)
	}
	wantArgs(t, c, []string{"--leader-elect", "--platform-config=/etc/knapp/platform/platform.yaml", "--zap-log-level=info", "--zap-encoder=json",
		// The chart's default is knapp's own.
		"--concurrent-reconciles=" + strconv.Itoa(app.DefaultConcurrentReconciles),
		"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--hook-bind-address=:8082", "--webhook-port=9443"}, nil)
	ps := pod.SecurityContext
	if ps == nil || !ptr.Deref(ps.RunAsNonRoot, false) || ptr.Deref(ps.RunAsUser, 0) != 65532 || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v", ps)
	}
	cs := c.SecurityContext
	if cs == nil || !ptr.Deref(cs.ReadOnlyRootFilesystem, false) || ptr.Deref(cs.AllowPrivilegeEscalation, true) || cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container securityContext %+v", cs)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if !maps.Equal(ports, map[string]int32{"metrics": 8080, "health": 8081, "hooks": 8082, "webhook": 9443}) {
		t.Errorf("ports %v", ports)
	}
	for probe, path := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != path || probe.HTTPGet.Port != intstr.FromString("health") {
			t.Errorf("probe of %s: %+v", path, probe)
		}
	}
	if c.Resources.Requests.Cpu().String() != "100m" || c.Resources.Limits.Memory().String() != "512Mi" {
		t.Errorf("resources %+v", c.Resources)
	}
	aa := pod.Affinity
	if aa == nil || aa.PodAntiAffinity == nil || len(aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Fatalf("affinity %+v", aa)
	}
	term := aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
	if term.TopologyKey != "kubernetes.io/hostname" || !maps.Equal(term.LabelSelector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("anti-affinity term %+v", term)
	}
	if len(d.Spec.Template.Annotations["checksum/platform-config"]) != 64 {
		t.Errorf("pod annotations %v", d.Spec.Template.Annotations)
	}
}

// checkServices: each Service selects the manager's pods on a named port
// the container has.
func checkServices(t *testing.T, r rendered, podLabels map[string]string) {
	t.Helper()
	want := map[string][2]string{ // Service: port, target
		"knapp-webhook": {"443", "webhook"},
		"knapp-hooks":   {"80", "hooks"},
		"knapp-metrics": {"8080", "metrics"},
	}
	for name, w := range want {
		var svc corev1.Service
		decodeStrict(t, r.Get(t, "Service", name, namespace), &svc)
		for k, v := range svc.Spec.Selector {
			if podLabels[k] != v {
				t.Errorf("Service %s selects %v, pods have %v", name, svc.Spec.Selector, podLabels)
			}
		}
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != w[1] || fmt.Sprint(svc.Spec.Ports[0].Port) != w[0] {
			t.Errorf("Service %s ports %+v, want %v", name, svc.Spec.Ports, w)
		}
	}
}

// TestValuesReachTheDeployment sets the pod values and checks each lands.
func TestValuesReachTheDeployment(t *testing.T) {
	r := render(t, `
replicaCount: 3
image: {repository: registry.example.com/knapp, tag: dev, pullPolicy: Always}
imagePullSecrets: [{name: pull}]
nodeSelector: {pool: system}
tolerations: [{key: dedicated, operator: Equal, value: system, effect: NoSchedule}]
priorityClassName: system-cluster-critical
podLabels: {team: platform}
podAnnotations: {example.com/scrape: "no"}
affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [system]}]}]}}}
resources: {requests: {cpu: 1, memory: 1Gi}, limits: {memory: 2Gi}}
logLevel: debug
logFormat: console
concurrentReconciles: 8
extraArgs: [--zap-stacktrace-level=panic]
`)
	var d appsv1.Deployment
	decodeStrict(t, r.Get(t, "Deployment", "knapp"), &d)
	pod, c := d.Spec.Template.Spec, d.Spec.Template.Spec.Containers[0]
	switch {
	case ptr.Deref(d.Spec.Replicas, 0) != 3:
		t.Errorf("replicas %v", d.Spec.Replicas)
	case c.Image != "registry.example.com/knapp:dev" || c.ImagePullPolicy != corev1.PullAlways:
		t.Errorf("image %q %q", c.Image, c.ImagePullPolicy)
	case len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != "pull":
		t.Errorf("imagePullSecrets %v", pod.ImagePullSecrets)
	case pod.NodeSelector["pool"] != "system" || len(pod.Tolerations) != 1 || pod.PriorityClassName != "system-cluster-critical":
		t.Errorf("scheduling %v %v %q", pod.NodeSelector, pod.Tolerations, pod.PriorityClassName)
	case d.Spec.Template.Labels["team"] != "platform" || d.Spec.Template.Annotations["example.com/scrape"] != "no":
		t.Errorf("pod metadata %v %v", d.Spec.Template.Labels, d.Spec.Template.Annotations)
	case pod.Affinity.PodAntiAffinity != nil || pod.Affinity.NodeAffinity == nil:
		t.Errorf("affinity %+v: a given affinity replaces the default", pod.Affinity)
	case c.Resources.Requests.Memory().String() != "1Gi" || c.Resources.Limits.Memory().String() != "2Gi":
		t.Errorf("resources %+v", c.Resources)
	}
	wantArgs(t, c, []string{"--zap-log-level=debug", "--zap-encoder=console", "--concurrent-reconciles=8"}, nil)
	if c.Args[len(c.Args)-1] != "--zap-stacktrace-level=panic" {
		t.Errorf("extraArgs not last: %q", c.Args)
	}

	digest := "sha256:" + strings.Repeat("ab", 32)
	var pinned appsv1.Deployment
	decodeStrict(t, render(t, "image: {digest: "+digest+"}").Get(t, "Deployment", "knapp"), &pinned)
	if got := pinned.Spec.Template.Spec.Containers[0].Image; got != "ghcr.io/knapp-dev/knapp@"+digest {
		t.Errorf("image by digest: %q", got)
	}
}

// TestPlatformChangeRollsPods: the checksum annotation follows the
// platform config, and only it.
func TestPlatformChangeRollsPods(t *testing.T) {
	checksum := func(values string) string {
		var d appsv1.Deployment
		decodeStrict(t, render(t, values).Get(t, "Deployment", "knapp"), &d)
		return d.Spec.Template.Annotations["checksum/platform-config"]
	}
	base := checksum("")
	if checksum("platform: {clusterName: eu1}") == base {
		t.Error("a platform change keeps the checksum: pods would run the old config")
	}
	if checksum("replicaCount: 3") != base {
		t.Error("the checksum changes with more than the platform config")
	}
}
