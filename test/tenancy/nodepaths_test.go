package tenancy

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/webhooks/podlogs"
)

// logRoot is the platform config's (platform.Default) and the policy's
// parameter (config/policy/pod-security.yaml).
const logRoot = "/var/log/knapp"

// logsTeam is a team in a namespace set up for logs, with an App web that
// keeps them.
func logsTeam(t *testing.T, name string) *tenant {
	t.Helper()
	team := newTenant(t, name)
	labelNamespace(t, team, logsNamespaceLabels)
	web := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: team.namespace, Name: "web"},
		Spec: v1alpha1.AppSpec{
			Image: "registry.example.com/" + team.namespace + "/web:1.0.0",
			Logs:  &v1alpha1.Logs{Path: "/app/logs"},
		},
	}
	if err := team.client.Create(context.Background(), web); err != nil {
		t.Fatalf("%s creating its App: %v", team.name, err)
	}
	// Reconciled means knapp's cache, which its pod webhook reads, has the
	// App: a pod made before would get no log volume.
	eventually(t, "App "+team.namespace+"/web reconciled with logs", func(ctx context.Context) error {
		a := &v1alpha1.App{}
		if err := admin.Get(ctx, client.ObjectKeyFromObject(web), a); err != nil {
			return err
		}
		if c := a.Status.GetCondition(v1alpha1.ConditionLogsReady); c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("LogsReady %+v", c)
		}
		return nil
	})
	return team
}

// revisionPod is a pod of the App web as Knative's ReplicaSet would make
// it: the labels knapp puts on the revision template, no volumes.
func revisionPod(team *tenant, name string) *corev1.Pod {
	pod := plainPod(team.namespace, name)
	pod.Labels = map[string]string{v1alpha1.LabelApp: "web", v1alpha1.LabelLogs: "true"}
	pod.Spec.Containers[0].Name = "user-container"
	return pod
}

// createRevisionPod creates it as team, once knapp's webhook knows the App.
func createRevisionPod(t *testing.T, team *tenant, name string) *corev1.Pod {
	t.Helper()
	pod := revisionPod(team, name)
	eventually(t, "a pod of "+team.namespace+"/web with its logs", func(ctx context.Context) error {
		err := team.client.Create(ctx, pod.DeepCopy())
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		return admin.Get(ctx, client.ObjectKeyFromObject(pod), pod)
	})
	return pod
}

// nodeVictim is a team whose App keeps logs on the node, and what an attack
// must never change: its pod's volumes, and that no pod of any other
// namespace mounts a path in its log directory.
type nodeVictim struct {
	team    *tenant
	pod     client.ObjectKey
	dir     string
	volumes []corev1.Volume
}

func newNodeVictim(t *testing.T, name string) *nodeVictim {
	t.Helper()
	team := logsTeam(t, name)
	pod := createRevisionPod(t, team, "web-1")
	v := &nodeVictim{team: team, pod: client.ObjectKeyFromObject(pod), dir: logRoot + "/" + team.namespace + "/web", volumes: pod.Spec.Volumes}
	if got := hostPaths(pod); !reflect.DeepEqual(got, []string{v.dir}) {
		t.Fatalf("the victim's pod mounts %v, want its log directory %s", got, v.dir)
	}
	return v
}

func hostPaths(pod *corev1.Pod) []string {
	var paths []string
	for _, vol := range pod.Spec.Volumes {
		if vol.HostPath != nil {
			paths = append(paths, vol.HostPath.Path)
		}
	}
	return paths
}

func (v *nodeVictim) assertUnchanged(t *testing.T, after string) {
	t.Helper()
	ctx := context.Background()
	pod := &corev1.Pod{}
	if err := admin.Get(ctx, v.pod, pod); err != nil {
		t.Fatalf("after %s: reading the victim's pod: %v", after, err)
	}
	if !reflect.DeepEqual(pod.Spec.Volumes, v.volumes) {
		t.Errorf("after %s the victim's pod volumes changed:\n was %+v\n now %+v", after, v.volumes, pod.Spec.Volumes)
	}
	pods := &corev1.PodList{}
	if err := admin.List(ctx, pods); err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		for _, hp := range hostPaths(&p) {
			if p.Namespace != v.team.namespace && (hp == "/" || strings.HasPrefix(v.dir, hp+"/") || strings.HasPrefix(hp, v.dir)) {
				t.Errorf("after %s the pod %s/%s mounts %s, which holds the victim's log directory %s", after, p.Namespace, p.Name, hp, v.dir)
			}
		}
	}
}

// A tenant in a namespace whose Apps keep logs (Pod Security privileged,
// knapp's baseline policy in force) cannot reach the node: no hostPath but
// knapp's own, none of the other baseline escapes, for any container.
func TestATenantCannotReachTheNodeFromALogsNamespace(t *testing.T) {
	ctx := context.Background()
	victim := newNodeVictim(t, "alice")
	shop := newVictim(t, victim.team, "shop", "shop-"+victim.team.namespace)
	mallory := logsTeam(t, "mallory")
	check := func(action string) {
		t.Helper()
		victim.assertUnchanged(t, action)
		shop.assertUnchanged(t, action)
	}

	root := plainPod(mallory.namespace, "root")
	root.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
	assertRefused(t, "a pod mounting the node's /", mallory.client.Create(ctx, root),
		"spec.volumes: hostPath volumes root are not allowed", "the only hostPath is knapp's knapp-logs", "knapp.dev/pod-security=baseline")
	check("a pod mounting the node's /")

	// knapp's volume name, the victim's directory, no logs label: the pod
	// webhook never sees it, the policy does.
	forged := plainPod(mallory.namespace, "forged")
	forged.Labels = map[string]string{v1alpha1.LabelApp: "web"}
	forged.Spec.Volumes = []corev1.Volume{{Name: podlogs.VolumeName, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
		Path: victim.dir, Type: ptr.To(corev1.HostPathDirectoryOrCreate)}}}}
	assertRefused(t, "a pod declaring knapp-logs at another team's directory", mallory.client.Create(ctx, forged),
		"hostPath volumes knapp-logs are not allowed")
	check("a pod declaring knapp-logs at another team's directory")

	// With the logs label, knapp's webhook refuses a pod that brings its
	// own log volume: it never mounts the one asked for.
	seeded := revisionPod(mallory, "seeded")
	seeded.Spec.Volumes = forged.Spec.Volumes
	assertRefused(t, "a pod of the tenant's App seeded with another team's directory", mallory.client.Create(ctx, seeded),
		"pods of knapp Apps may not declare hostPath volumes")
	check("a pod of the tenant's App seeded with another team's directory")

	// A pod that claims a logs App the namespace does not have gets no
	// volume from knapp, and may declare none itself.
	claimed := revisionPod(mallory, "claimed")
	claimed.Labels[v1alpha1.LabelApp] = "shop"
	claimed.Spec.Volumes = forged.Spec.Volumes
	assertRefused(t, "a pod claiming an App it does not have", mallory.client.Create(ctx, claimed), "hostPath volumes knapp-logs are not allowed")
	check("a pod claiming an App it does not have")

	escapes := []struct {
		name, says string
		apply      func(*corev1.Pod)
	}{
		{"a privileged container", "securityContext.privileged must be unset or false", func(p *corev1.Pod) {
			securityContext(container(p)).Privileged = ptr.To(true)
		}},
		{"the node's network", "spec.hostNetwork: must be unset or false", func(p *corev1.Pod) { p.Spec.HostNetwork = true }},
		{"the node's process namespace", "spec.hostPID: must be unset or false", func(p *corev1.Pod) { p.Spec.HostPID = true }},
		{"an init container with SYS_ADMIN", "containers init-0: securityContext.capabilities.add may name only", func(p *corev1.Pod) {
			securityContext(addInit(p)).Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}
		}},
		{"an unconfined seccomp profile", "spec.securityContext.seccompProfile.type: ", func(p *corev1.Pod) {
			podSecurityContext(p).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}},
		{"a probe aimed at the cloud metadata address", "must not set httpGet.host", func(p *corev1.Pod) {
			container(p).StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: "169.254.169.254", Port: intstr.FromInt32(80)}}}
		}},
	}
	for _, e := range escapes {
		// On a pod of the tenant's App with logs too: knapp's volume does
		// not open the door for anything else.
		for _, pod := range []*corev1.Pod{plainPod(mallory.namespace, "escape"), revisionPod(mallory, "escape-web")} {
			e.apply(pod)
			assertRefused(t, e.name, mallory.client.Create(ctx, pod), e.says, "knapp.dev/pod-security=baseline")
			check(e.name)
		}
	}
}

// A tenant allowed to debug its pods (kubectl debug: pods/ephemeralcontainers)
// cannot use an ephemeral container to escape either: neither a privileged
// one nor one that mounts knapp's log volume otherwise than knapp does (the
// whole App's directory, every pod's files).
func TestATenantCannotEscapeThroughADebugContainer(t *testing.T) {
	ctx := context.Background()
	victim := newNodeVictim(t, "alice")
	mallory := logsTeam(t, "mallory")
	debug := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: mallory.namespace, Name: "debug"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}, Verbs: []string{"update", "patch"}}},
	}
	if err := admin.Create(ctx, debug); err != nil {
		t.Fatal(err)
	}
	if err := admin.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: mallory.namespace, Name: "debug"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "debug"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: mallory.name}},
	}); err != nil {
		t.Fatal(err)
	}
	pod := createRevisionPod(t, mallory, "web-1")

	attempts := []struct {
		name, says string
		debugger   corev1.EphemeralContainerCommon
	}{
		{"a privileged debug container", "securityContext.privileged must be unset or false", corev1.EphemeralContainerCommon{
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}},
		{"a debug container mounting the whole log directory", "the volume knapp-logs may be mounted only as knapp mounts it", corev1.EphemeralContainerCommon{
			VolumeMounts: []corev1.VolumeMount{{Name: podlogs.VolumeName, MountPath: "/logs"}}}},
		{"a debug container reading the whole log directory", "the volume knapp-logs may be mounted only as knapp mounts it", corev1.EphemeralContainerCommon{
			VolumeMounts: []corev1.VolumeMount{{Name: podlogs.VolumeName, MountPath: "/logs", ReadOnly: true}}}},
	}
	for i, a := range attempts {
		p := &corev1.Pod{}
		if err := admin.Get(ctx, client.ObjectKeyFromObject(pod), p); err != nil {
			t.Fatal(err)
		}
		a.debugger.Name = fmt.Sprintf("debug-%d", i)
		a.debugger.Image = "registry.example.com/tools/debug:1"
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: a.debugger})
		assertRefused(t, a.name, mallory.client.SubResource("ephemeralcontainers").Update(ctx, p), a.says, "knapp.dev/pod-security=baseline")
		victim.assertUnchanged(t, a.name)
	}

	// Debugging without the log volume is fine (Kubernetes gives
	// ephemeral containers no subPathExpr, so they never mount it as knapp does).
	p := &corev1.Pod{}
	if err := admin.Get(ctx, client.ObjectKeyFromObject(pod), p); err != nil {
		t.Fatal(err)
	}
	p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debug", Image: "registry.example.com/tools/debug:1",
	}})
	if err := mallory.client.SubResource("ephemeralcontainers").Update(ctx, p); err != nil {
		t.Errorf("a plain debug container: %v", err)
	}
	victim.assertUnchanged(t, "a plain debug container")
}

// The guard is not the tenant's to lift: the namespace label, the policy's
// parameter and the policy itself belong to the cluster admin.
func TestATenantCannotLiftThePodSecurityPolicy(t *testing.T) {
	ctx := context.Background()
	victim := newNodeVictim(t, "alice")
	mallory := logsTeam(t, "mallory")

	ns := &corev1.Namespace{}
	if err := admin.Get(ctx, client.ObjectKey{Name: mallory.namespace}, ns); err != nil {
		t.Fatal(err)
	}
	delete(ns.Labels, v1alpha1.LabelPodSecurity)
	err := mallory.client.Update(ctx, ns)
	if !apierrors.IsForbidden(err) {
		t.Errorf("taking knapp's label off the tenant's namespace: want 403, got %v", err)
	}
	victim.assertUnchanged(t, "taking knapp's label off a namespace")

	params := &corev1.ConfigMap{}
	if err := admin.Get(ctx, client.ObjectKey{Namespace: "knapp-system", Name: "knapp-logs-policy"}, params); err != nil {
		t.Fatal(err)
	}
	params.Data["logRoot"] = "/"
	if err := mallory.client.Update(ctx, params); !apierrors.IsForbidden(err) {
		t.Errorf("setting the policy's log root to /: want 403, got %v", err)
	}
	victim.assertUnchanged(t, "setting the policy's log root to /")

	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "knapp-pod-security-baseline"}}
	if err := mallory.client.Delete(ctx, binding); !apierrors.IsForbidden(err) {
		t.Errorf("deleting the policy's binding: want 403, got %v", err)
	}
	victim.assertUnchanged(t, "deleting the policy's binding")

	if err := mallory.client.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(victim.team.namespace)); !apierrors.IsForbidden(err) {
		t.Errorf("deleting the victim's pods: want 403, got %v", err)
	}
	victim.assertUnchanged(t, "deleting the victim's pods")
}
