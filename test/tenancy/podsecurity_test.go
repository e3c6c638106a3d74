package tenancy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// Labels of a namespace whose Apps keep logs, as the README sets it up:
// Pod Security admission allows hostPath, knapp's policy keeps baseline.
var logsNamespaceLabels = map[string]string{
	"pod-security.kubernetes.io/enforce": "privileged",
	v1alpha1.LabelPodSecurity:            v1alpha1.LabelPodSecurityBaseline,
}

// podChange is one change to a plain pod, and whether Pod Security
// baseline allows it.
type podChange struct {
	name    string
	allowed bool
	apply   func(*corev1.Pod)
}

func container(p *corev1.Pod) *corev1.Container { return &p.Spec.Containers[0] }

func securityContext(c *corev1.Container) *corev1.SecurityContext {
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	return c.SecurityContext
}

func podSecurityContext(p *corev1.Pod) *corev1.PodSecurityContext {
	if p.Spec.SecurityContext == nil {
		p.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	return p.Spec.SecurityContext
}

func addInit(p *corev1.Pod) *corev1.Container {
	p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: fmt.Sprintf("init-%d", len(p.Spec.InitContainers)), Image: "registry.example.com/tools/init:1"})
	return &p.Spec.InitContainers[len(p.Spec.InitContainers)-1]
}

// podChanges covers every check of Pod Security baseline (Kubernetes 1.35),
// with a violation and an allowed value of each.
var podChanges = []podChange{
	{"hostNetwork", false, func(p *corev1.Pod) { p.Spec.HostNetwork = true }},
	{"hostPID", false, func(p *corev1.Pod) { p.Spec.HostPID = true }},
	{"hostIPC", false, func(p *corev1.Pod) { p.Spec.HostIPC = true }},
	{"privileged container", false, func(p *corev1.Pod) { securityContext(container(p)).Privileged = ptr.To(true) }},
	{"privileged init container", false, func(p *corev1.Pod) { securityContext(addInit(p)).Privileged = ptr.To(true) }},
	{"privileged: false", true, func(p *corev1.Pod) { securityContext(container(p)).Privileged = ptr.To(false) }},
	{"capability SYS_ADMIN", false, func(p *corev1.Pod) {
		securityContext(container(p)).Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}
	}},
	{"capability NET_RAW in an init container", false, func(p *corev1.Pod) {
		securityContext(addInit(p)).Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"CHOWN", "NET_RAW"}}
	}},
	{"capabilities of the default set", true, func(p *corev1.Pod) {
		securityContext(container(p)).Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE", "CHOWN", "SYS_CHROOT"}, Drop: []corev1.Capability{"ALL"}}
	}},
	{"hostPort", false, func(p *corev1.Pod) {
		container(p).Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 80}}
	}},
	{"container port", true, func(p *corev1.Pod) { container(p).Ports = []corev1.ContainerPort{{ContainerPort: 8080}} }},
	{"hostPath /", false, func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
	}},
	{"emptyDir and configMap volumes", true, func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes,
			corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			corev1.Volume{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "web"}}}})
	}},
	{"AppArmor Unconfined", false, func(p *corev1.Pod) {
		securityContext(container(p)).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	}},
	{"pod AppArmor Unconfined", false, func(p *corev1.Pod) {
		podSecurityContext(p).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	}},
	{"AppArmor annotation unconfined", false, func(p *corev1.Pod) {
		p.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}
	}},
	{"AppArmor RuntimeDefault", true, func(p *corev1.Pod) {
		securityContext(container(p)).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	}},
	{"AppArmor Localhost", true, func(p *corev1.Pod) {
		podSecurityContext(p).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: ptr.To("k8s-web")}
	}},
	{"SELinux type spc_t", false, func(p *corev1.Pod) {
		securityContext(container(p)).SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t"}
	}},
	{"SELinux user", false, func(p *corev1.Pod) {
		securityContext(addInit(p)).SELinuxOptions = &corev1.SELinuxOptions{User: "system_u"}
	}},
	{"pod SELinux role", false, func(p *corev1.Pod) {
		podSecurityContext(p).SELinuxOptions = &corev1.SELinuxOptions{Role: "system_r"}
	}},
	{"SELinux container_t and a level", true, func(p *corev1.Pod) {
		podSecurityContext(p).SELinuxOptions = &corev1.SELinuxOptions{Type: "container_t", Level: "s0:c123,c456"}
	}},
	{"procMount Unmasked", false, func(p *corev1.Pod) {
		securityContext(container(p)).ProcMount = ptr.To(corev1.UnmaskedProcMount)
	}},
	{"procMount Default", true, func(p *corev1.Pod) {
		securityContext(container(p)).ProcMount = ptr.To(corev1.DefaultProcMount)
	}},
	{"seccomp Unconfined", false, func(p *corev1.Pod) {
		securityContext(container(p)).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	}},
	{"pod seccomp Unconfined", false, func(p *corev1.Pod) {
		podSecurityContext(p).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	}},
	{"seccomp RuntimeDefault", true, func(p *corev1.Pod) {
		podSecurityContext(p).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}},
	{"unsafe sysctl", false, func(p *corev1.Pod) {
		podSecurityContext(p).Sysctls = append(podSecurityContext(p).Sysctls, corev1.Sysctl{Name: "kernel.msgmax", Value: "65536"})
	}},
	{"safe sysctls", true, func(p *corev1.Pod) {
		podSecurityContext(p).Sysctls = append(podSecurityContext(p).Sysctls,
			corev1.Sysctl{Name: "net.ipv4.tcp_syncookies", Value: "1"}, corev1.Sysctl{Name: "net.ipv4.tcp_keepalive_time", Value: "600"})
	}},
	{"liveness probe on another host", false, func(p *corev1.Pod) {
		container(p).LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: "169.254.169.254", Path: "/", Port: intstr.FromInt32(80)}}}
	}},
	{"preStop hook on another host", false, func(p *corev1.Pod) {
		container(p).Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{TCPSocket: &corev1.TCPSocketAction{Host: "10.0.0.1", Port: intstr.FromInt32(22)}}}
	}},
	{"readiness probe on the pod", true, func(p *corev1.Pod) {
		container(p).ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}}
	}},
	{"Windows hostProcess", false, func(p *corev1.Pod) {
		p.Spec.HostNetwork = true
		p.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
		podSecurityContext(p).WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: ptr.To(true)}
	}},
}

func plainPod(ns, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/" + ns + "/web:1.0.0"}}},
	}
}

// verdict is how a dry-run create of a pod was answered.
type verdict struct {
	admitted bool
	message  string
}

func dryRun(ctx context.Context, c client.Client, pod *corev1.Pod) verdict {
	err := c.Create(ctx, pod, client.DryRunAll)
	if err != nil {
		return verdict{message: err.Error()}
	}
	return verdict{admitted: true}
}

// compareWithPodSecurity creates pod (dry run) in a namespace where
// Kubernetes' own Pod Security admission enforces baseline and in one where
// knapp's policy does, and wants the same answer; a refusal of Pod Security
// must be one of knapp's policy, naming its label.
func compareWithPodSecurity(t *testing.T, ref, knapp *tenant, what string, pod *corev1.Pod) {
	t.Helper()
	ctx := context.Background()
	a, b := pod.DeepCopy(), pod.DeepCopy()
	a.Namespace, b.Namespace = ref.namespace, knapp.namespace
	psa, ours := dryRun(ctx, ref.client, a), dryRun(ctx, knapp.client, b)
	switch {
	case psa.admitted != ours.admitted:
		t.Errorf("%s: Pod Security baseline admitted=%v (%s), knapp's policy admitted=%v (%s)", what, psa.admitted, psa.message, ours.admitted, ours.message)
	case !psa.admitted && strings.Contains(psa.message, "violates PodSecurity") && !strings.Contains(ours.message, "knapp.dev/pod-security=baseline"):
		t.Errorf("%s: refused, but not by knapp's policy: %s", what, ours.message)
	}
}

// knapp's policy answers every pod as Pod Security baseline does: each
// check violated and met on its own, then random mixes of them.
func TestThePodSecurityPolicyIsBaseline(t *testing.T) {
	ref, logs := newTenant(t, "reference"), newTenant(t, "logs")
	labelNamespace(t, ref, map[string]string{"pod-security.kubernetes.io/enforce": "baseline"})
	labelNamespace(t, logs, logsNamespaceLabels)

	// The judge must be live: a plain privileged pod is refused by it.
	judge := plainPod(ref.namespace, "judge")
	securityContext(container(judge)).Privileged = ptr.To(true)
	if v := dryRun(context.Background(), ref.client, judge); v.admitted || !strings.Contains(v.message, "violates PodSecurity") {
		t.Fatalf("Pod Security admission does not enforce baseline in %s: %+v", ref.namespace, v)
	}

	for i, c := range podChanges {
		pod := plainPod("", fmt.Sprintf("one-%d", i))
		c.apply(pod)
		compareWithPodSecurity(t, ref, logs, c.name, pod)
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("random pods from seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	for i := range 40 {
		pod := plainPod("", fmt.Sprintf("mix-%d", i))
		var names []string
		for range 1 + rnd.IntN(3) {
			c := podChanges[rnd.IntN(len(podChanges))]
			c.apply(pod)
			names = append(names, c.name)
		}
		compareWithPodSecurity(t, ref, logs, "seed "+fmt.Sprint(seed)+": "+strings.Join(names, " + "), pod)
	}
}
