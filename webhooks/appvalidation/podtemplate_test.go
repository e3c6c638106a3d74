package appvalidation

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
)

// migratedApp is a service moved onto knapp as it ran before: a config
// file from a ConfigMap, TLS from a Secret, a private registry, pod
// annotations, a non-root security context.
func migratedApp(opts ...func(*v1alpha1.App)) *v1alpha1.App {
	return validApp(append([]func(*v1alpha1.App){func(a *v1alpha1.App) {
		a.Spec.Template = v1alpha1.AppTemplate{
			Labels:      map[string]string{"team": "payments"},
			Annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
			Volumes: []v1alpha1.Volume{
				{Name: "config", ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "shop-config"}}},
				{Name: "tls", Secret: &corev1.SecretVolumeSource{SecretName: "shop-tls"}},
				{Name: "scratch", EmptyDir: &corev1.EmptyDirVolumeSource{}},
			},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry-pull"}},
			Containers: []v1alpha1.Container{{
				VolumeMounts: []corev1.VolumeMount{
					{Name: "config", MountPath: "/etc/shop", ReadOnly: true},
					{Name: "tls", MountPath: "/etc/tls", ReadOnly: true},
					{Name: "scratch", MountPath: "/tmp"},
				},
				SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		}
	}}, opts...)...)
}

// What a migrating service needs by default passes knapp's rules and
// Knative's; what needs a Knative flag is refused naming the flag, and
// admitted once the cluster turns it on.
func TestPodTemplateFollowsKnativesFlags(t *testing.T) {
	if errs := Validate(context.Background(), knativeconfig.Default(), migratedApp()); len(errs) > 0 {
		t.Fatalf("a migrated service under Knative's defaults: %v", errs.ToAggregate())
	}
	flagged := []struct {
		name, field, flag string
		set               func(*v1alpha1.App)
	}{
		{"tolerations", "spec.template.tolerations", "kubernetes.podspec-tolerations", func(a *v1alpha1.App) {
			a.Spec.Template.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "payments", Effect: corev1.TaintEffectNoSchedule}}
		}},
		{"nodeSelector", "spec.template.nodeSelector", "kubernetes.podspec-nodeselector", func(a *v1alpha1.App) {
			a.Spec.Template.NodeSelector = map[string]string{"pool": "payments"}
		}},
		{"priorityClassName", "spec.template.priorityClassName", "kubernetes.podspec-priorityclassname", func(a *v1alpha1.App) {
			a.Spec.Template.PriorityClassName = "high"
		}},
		{"a persistent volume claim", "spec.template.volumes[3].persistentVolumeClaim", "kubernetes.podspec-persistent-volume-claim", func(a *v1alpha1.App) {
			a.Spec.Template.Volumes = append(a.Spec.Template.Volumes, v1alpha1.Volume{Name: "data",
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "shop-data", ReadOnly: true}})
			c := &a.Spec.Template.Containers[0]
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "data", MountPath: "/data", ReadOnly: true})
		}},
		{"topologySpreadConstraints", "spec.template.topologySpreadConstraints", "kubernetes.podspec-topologyspreadconstraints", func(a *v1alpha1.App) {
			a.Spec.Template.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway}}
		}},
		{"schedulerName", "spec.template.schedulerName", "kubernetes.podspec-schedulername", func(a *v1alpha1.App) {
			a.Spec.Template.SchedulerName = "batch-scheduler"
		}},
		{"dnsConfig", "spec.template.dnsConfig", "kubernetes.podspec-dnsconfig", func(a *v1alpha1.App) {
			a.Spec.Template.DNSConfig = &corev1.PodDNSConfig{Searches: []string{"corp.example.com"}}
		}},
		{"affinity", "spec.template.affinity", "kubernetes.podspec-affinity", func(a *v1alpha1.App) {
			a.Spec.Template.Affinity = &corev1.Affinity{
				NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
					NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
						{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"eu-west-1a", "eu-west-1b"}}}}}}},
				PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
					Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "kubernetes.io/hostname",
						LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"knapp.dev/app": "shop"}}}}}},
			}
		}},
		{"initContainers", "spec.template.initContainers", "kubernetes.podspec-init-containers", func(a *v1alpha1.App) {
			a.Spec.Template.InitContainers = []v1alpha1.Container{{Name: "migrate", Image: "registry.example.com/team-a/shop-migrate:1.4.2",
				Args: []string{"up"}, VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/etc/shop", ReadOnly: true}}}}
		}},
		{"hostAliases", "spec.template.hostAliases", "kubernetes.podspec-hostaliases", func(a *v1alpha1.App) {
			a.Spec.Template.HostAliases = []corev1.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"legacy-db"}}}
		}},
		{"a pod fsGroup", "spec.template.securityContext.fsGroup", "kubernetes.podspec-securitycontext", func(a *v1alpha1.App) {
			a.Spec.Template.SecurityContext = &corev1.PodSecurityContext{FSGroup: ptr.To[int64](2000)}
		}},
	}
	for _, f := range flagged {
		t.Run(f.name, func(t *testing.T) {
			app := migratedApp(f.set)
			errs := Validate(context.Background(), knativeconfig.Default(), app)
			named := false
			for _, e := range errs {
				named = named || (strings.HasPrefix(e.Field, f.field) && strings.Contains(e.Detail, f.flag+" is disabled in config-features"))
			}
			if !named {
				t.Fatalf("flag off: want %s refused naming %s, got %v", f.field, f.flag, errs.ToAggregate())
			}
			on, err := knativeconfig.FromData(map[string]map[string]string{"config-features": {f.flag: "enabled"}})
			if err != nil {
				t.Fatal(err)
			}
			if errs := Validate(context.Background(), on, app); len(errs) > 0 {
				t.Errorf("flag %s on: %v", f.flag, errs.ToAggregate())
			}
		})
	}
}

// knapp's own rules of the pod template: reserved keys, one source per
// volume, mounts of volumes that exist.
func TestPodTemplateRulesRefuse(t *testing.T) {
	tests := []struct {
		name, field, msg string
		set              func(*v1alpha1.App)
	}{
		{"a scaling annotation by hand", "spec.template.annotations[autoscaling.knative.dev/min-scale]", "set scaling in spec.scaling",
			func(a *v1alpha1.App) {
				a.Spec.Template.Annotations = map[string]string{"autoscaling.knative.dev/min-scale": "3"}
			}},
		{"an init container without an image", "spec.template.initContainers[0].image", "an init container names its image",
			func(a *v1alpha1.App) { a.Spec.Template.InitContainers = []v1alpha1.Container{{Name: "migrate"}} }},
		{"an init container named as a container", "spec.template.initContainers[0].name", "init containers included",
			func(a *v1alpha1.App) {
				a.Spec.Template.Containers[0].Name = "shop"
				a.Spec.Template.InitContainers = []v1alpha1.Container{{Name: "shop", Image: "registry.example.com/team-a/m:1"}}
			}},
		{"knapp's logs label", "spec.template.labels[knapp.dev/logs]", "are knapp's and Knative's",
			func(a *v1alpha1.App) { a.Spec.Template.Labels = map[string]string{"knapp.dev/logs": "true"} }},
		{"a Knative feature annotation", "spec.template.annotations[features.knative.dev/queueproxy-podinfo]", "are knapp's and Knative's",
			func(a *v1alpha1.App) {
				a.Spec.Template.Annotations = map[string]string{"features.knative.dev/queueproxy-podinfo": "enabled"}
			}},
		{"an invalid label", "spec.template.labels", "name part must consist of",
			func(a *v1alpha1.App) { a.Spec.Template.Labels = map[string]string{"bad key!": "x"} }},
		{"a volume with two sources", "spec.template.volumes[0]", "set exactly one of configMap, secret, projected, emptyDir, persistentVolumeClaim",
			func(a *v1alpha1.App) {
				a.Spec.Template.Volumes[0].EmptyDir = &corev1.EmptyDirVolumeSource{}
			}},
		{"a sysctl, which Knative never allows", "spec.template.securityContext.sysctls", "Knative Serving does not allow this field here",
			func(a *v1alpha1.App) {
				a.Spec.Template.SecurityContext = &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "net.ipv4.tcp_syncookies", Value: "1"}}}
			}},
		{"a mount of no volume", "spec.template.containers[0].volumeMounts[0].name", "Not found",
			func(a *v1alpha1.App) { a.Spec.Template.Volumes = a.Spec.Template.Volumes[1:] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := validate(migratedApp(tc.set))
			found := false
			for _, e := range errs {
				found = found || (strings.HasPrefix(e.Field, tc.field) && strings.Contains(e.Error(), tc.msg))
			}
			if !found {
				t.Errorf("want %s: %q, got %v", tc.field, tc.msg, errs.ToAggregate())
			}
		})
	}
}
