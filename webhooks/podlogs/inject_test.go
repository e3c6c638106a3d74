package podlogs

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

const shopHostPath = "/var/log/knapp/team-a/shop"

func TestInject(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		ns   string
		app  *v1alpha1.App
		want func(p *corev1.Pod) // the expected pod, from the input pod
	}{{
		name: "knative pod: volume, mount and env in user-container, annotation",
		pod:  knativePod("shop"),
		ns:   "team-a",
		app:  newApp("team-a", "shop", logsAt("/app/logs")),
		want: func(p *corev1.Pod) {
			p.Annotations = map[string]string{AnnotationHostPath: shopHostPath}
			p.Spec.Volumes = []corev1.Volume{wantVolume(shopHostPath)}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{wantMount("/app/logs")}
			p.Spec.Containers[0].Env = []corev1.EnvVar{wantEnv()}
		},
	}, {
		name: "the namespace argument, not pod.Namespace",
		pod:  func() *corev1.Pod { p := knativePod("shop"); p.Namespace = "other-ns"; return p }(),
		ns:   "team-a",
		app:  newApp("team-a", "shop", logsAt("/app/logs")),
		want: func(p *corev1.Pod) {
			p.Annotations = map[string]string{AnnotationHostPath: shopHostPath}
			p.Spec.Volumes = []corev1.Volume{wantVolume(shopHostPath)}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{wantMount("/app/logs")}
			p.Spec.Containers[0].Env = []corev1.EnvVar{wantEnv()}
		},
	}, {
		name: "spec.logs.container names a sidecar",
		pod:  newPod("shop", ctr("user-container"), ctr("writer"), ctr("queue-proxy")),
		ns:   "team-a",
		app:  newApp("team-a", "shop", &v1alpha1.Logs{Path: "/var/log/writer", Container: "writer"}),
		want: func(p *corev1.Pod) {
			p.Annotations = map[string]string{AnnotationHostPath: shopHostPath}
			p.Spec.Volumes = []corev1.Volume{wantVolume(shopHostPath)}
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{wantMount("/var/log/writer")}
			p.Spec.Containers[1].Env = []corev1.EnvVar{wantEnv()}
		},
	}, {
		name: "the App names its own container; istio-proxy first",
		pod:  newPod("shop", ctr("istio-proxy"), ctr("web"), ctr("queue-proxy")),
		ns:   "team-a",
		app: newApp("team-a", "shop", logsAt("/app/logs"), func(a *v1alpha1.App) {
			a.Spec.Template.Containers = []v1alpha1.Container{{Name: "web"}}
		}),
		want: func(p *corev1.Pod) {
			p.Annotations = map[string]string{AnnotationHostPath: shopHostPath}
			p.Spec.Volumes = []corev1.Volume{wantVolume(shopHostPath)}
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{wantMount("/app/logs")}
			p.Spec.Containers[1].Env = []corev1.EnvVar{wantEnv()}
		},
	}, {
		name: "no user-container: the first that is not a sidecar (Knative's multi-container names)",
		pod:  newPod("shop", ctr("istio-proxy"), ctr("user-container-0"), ctr("user-container-1"), ctr("queue-proxy")),
		ns:   "team-a",
		app:  newApp("team-a", "shop", logsAt("/app/logs")),
		want: func(p *corev1.Pod) {
			p.Annotations = map[string]string{AnnotationHostPath: shopHostPath}
			p.Spec.Volumes = []corev1.Volume{wantVolume(shopHostPath)}
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{wantMount("/app/logs")}
			p.Spec.Containers[1].Env = []corev1.EnvVar{wantEnv()}
		},
	}, {
		name: "logs.path is cleaned; existing volumes, mounts, env and annotations kept in order",
		pod: func() *corev1.Pod {
			p := knativePod("shop")
			p.Annotations = map[string]string{"a": "b"}
			p.Spec.Volumes = []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}, {Name: "tmp", MountPath: "/app/logs/archive", SubPath: "a"}}
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "MODE", Value: "prod"}}
			return p
		}(),
		ns:  "team-a",
		app: newApp("team-a", "shop", logsAt("/app//logs/./")),
		want: func(p *corev1.Pod) {
			p.Annotations[AnnotationHostPath] = shopHostPath
			p.Spec.Volumes = append(p.Spec.Volumes, wantVolume(shopHostPath))
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, wantMount("/app/logs"))
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, wantEnv())
		},
	}, {
		name: "pre-seeded hostile knapp-logs volume, mounts and env are replaced",
		pod: func() *corev1.Pod {
			p := newPod("shop", ctr("user-container"), ctr("evil"), ctr("queue-proxy"))
			root := corev1.HostPathDirectory
			p.Spec.Volumes = []corev1.Volume{
				{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "knapp-logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: &root}}},
				{Name: "knapp-logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc"}}},
			}
			p.Spec.InitContainers = []corev1.Container{{Name: "init", VolumeMounts: []corev1.VolumeMount{{Name: "knapp-logs", MountPath: "/host"}}}}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "knapp-logs", MountPath: "/app/logs", SubPath: ".."}, {Name: "tmp", MountPath: "/tmp"}}
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "KNAPP_POD_NAME", Value: "../../other-ns"}, {Name: "B", Value: "$(KNAPP_POD_NAME)"}, {Name: "KNAPP_POD_NAME", Value: ".."}}
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "knapp-logs", MountPath: "/host"}, {Name: "tmp", MountPath: "/tmp"}}
			return p
		}(),
		ns:  "team-a",
		app: newApp("team-a", "shop", logsAt("/app/logs")),
		want: func(p *corev1.Pod) {
			p.Annotations = map[string]string{AnnotationHostPath: shopHostPath}
			p.Spec.Volumes = []corev1.Volume{p.Spec.Volumes[0], wantVolume(shopHostPath)}
			p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{wantMount("/app/logs"), {Name: "tmp", MountPath: "/tmp"}}
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "1"}, wantEnv(), {Name: "B", Value: "$(KNAPP_POD_NAME)"}}
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}}
		},
	}, {
		name: "the revision pod the apiserver sends",
		pod:  revisionPod(t),
		ns:   "team-a",
		app:  newApp("team-a", "shop", logsAt("/app/logs")),
		want: func(p *corev1.Pod) {
			p.Annotations[AnnotationHostPath] = shopHostPath
			p.Spec.Volumes = append(p.Spec.Volumes, wantVolume(shopHostPath))
			c := &p.Spec.Containers[0]
			c.VolumeMounts = append(c.VolumeMounts, wantMount("/app/logs"))
			c.Env = append(c.Env, wantEnv())
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.pod.DeepCopy()
			tt.want(want)
			pod := tt.pod.DeepCopy()
			if err := Inject(pod, tt.ns, tt.app, cfg); err != nil {
				t.Fatalf("Inject: %v", err)
			}
			if !reflect.DeepEqual(pod, want) {
				t.Errorf("Inject:\n got %+v\nwant %+v", pod.Spec, want.Spec)
			}
			once := pod.DeepCopy()
			if err := Inject(pod, tt.ns, tt.app, cfg); err != nil {
				t.Fatalf("Inject a second time: %v", err)
			}
			if !reflect.DeepEqual(pod, once) {
				t.Errorf("Inject twice differs from once:\n twice %+v\n once %+v", pod.Spec, once.Spec)
			}
		})
	}
}

// TestInjectIgnoresThePodsWishes: the host path comes from the log root, the
// namespace and the App's name, whatever the pod's annotations and labels say.
func TestInjectIgnoresThePodsWishes(t *testing.T) {
	for _, asked := range []string{"/", "/etc", "/var/run/docker.sock", "../../other-ns", "/var/log/knapp/other-ns/app"} {
		t.Run(asked, func(t *testing.T) {
			pod := knativePod("shop")
			pod.Labels[v1alpha1.LabelApp] = asked
			pod.Annotations = map[string]string{AnnotationHostPath: asked, "knapp.dev/logs-path": asked}
			if err := Inject(pod, "team-a", newApp("team-a", "shop", logsAt("/app/logs")), cfg); err != nil {
				t.Fatal(err)
			}
			if got := pod.Annotations[AnnotationHostPath]; got != shopHostPath {
				t.Errorf("annotation %s = %q, want %q", AnnotationHostPath, got, shopHostPath)
			}
			if got := hostPaths(pod); !reflect.DeepEqual(got, []string{shopHostPath}) {
				t.Errorf("hostPath volumes %q, want only %q", got, shopHostPath)
			}
		})
	}
}

func hostPaths(pod *corev1.Pod) []string {
	var out []string
	for _, v := range pod.Spec.Volumes {
		if v.HostPath != nil {
			out = append(out, v.HostPath.Path)
		}
	}
	return out
}

func TestInjectErrors(t *testing.T) {
	docker := knativePod("shop")
	docker.Spec.Volumes = []corev1.Volume{{Name: "docker", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}}}
	collision := knativePod("shop")
	collision.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/app/logs/"}}
	device := knativePod("shop")
	device.Spec.Containers[0].VolumeDevices = []corev1.VolumeDevice{{Name: "disk", DevicePath: "/app/logs"}}

	tests := []struct {
		name    string
		pod     *corev1.Pod
		ns      string
		app     *v1alpha1.App
		cfg     Config
		wantErr error
		wantMsg []string // substrings of the message
	}{
		{"named container missing", knativePod("shop"), "team-a", newApp("team-a", "shop", &v1alpha1.Logs{Path: "/l", Container: "writer"}), cfg,
			ErrContainerNotFound, []string{`"writer"`, `"user-container", "queue-proxy"`}},
		{"no containers", newPod("shop"), "team-a", newApp("team-a", "shop", logsAt("/l")), cfg,
			ErrContainerNotFound, []string{"none"}},
		{"only sidecars", newPod("shop", ctr("istio-proxy"), ctr("queue-proxy")), "team-a", newApp("team-a", "shop", logsAt("/l")), cfg,
			ErrContainerNotFound, []string{`"istio-proxy", "queue-proxy"`, "spec.logs.container"}},
		{"relative logs.path", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("app/logs")), cfg, ErrLogsPath, []string{"absolute"}},
		{"empty logs.path", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("")), cfg, ErrLogsPath, nil},
		{"logs.path /", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("/")), cfg, ErrLogsPath, []string{"not / itself"}},
		{"logs.path //./", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("//./")), cfg, ErrLogsPath, nil},
		{"logs.path with ..", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("/app/../etc")), cfg, ErrLogsPath, []string{".."}},
		{"logs.path ending in ..", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("/app/..")), cfg, ErrLogsPath, nil},
		{"logs.path with NUL", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("/app\x00/logs")), cfg, ErrLogsPath, nil},
		{"mount path collision", collision, "team-a", newApp("team-a", "shop", logsAt("/app/logs")), cfg,
			ErrMountPathCollision, []string{`"user-container"`, `"data"`, `"/app/logs"`}},
		{"device path collision", device, "team-a", newApp("team-a", "shop", logsAt("/app/logs")), cfg, ErrMountPathCollision, []string{`"disk"`}},
		{"a hostPath volume of the pod's own", docker, "team-a", newApp("team-a", "shop", logsAt("/app/logs")), cfg,
			ErrHostPathVolume, []string{`"docker"`}},
		{"App without logs", knativePod("shop"), "team-a", newApp("team-a", "shop", nil), cfg, ErrNoLogs, nil},
		{"namespace not a DNS label", knativePod("shop"), "../etc", newApp("team-a", "shop", logsAt("/l")), cfg, ErrName, []string{"namespace"}},
		{"empty namespace", knativePod("shop"), "", newApp("team-a", "shop", logsAt("/l")), cfg, ErrName, nil},
		{"App name not a DNS label", knativePod("shop"), "team-a", newApp("team-a", "shop.v2", logsAt("/l")), cfg, ErrName, []string{"App name"}},
		{"log root missing", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("/l")), Config{}, ErrConfig, nil},
		{"log root /", knativePod("shop"), "team-a", newApp("team-a", "shop", logsAt("/l")), Config{LogRoot: "/"}, ErrConfig, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.pod.DeepCopy()
			err := Inject(tt.pod, tt.ns, tt.app, tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Inject: error %v, want %v", err, tt.wantErr)
			}
			for _, s := range tt.wantMsg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if !reflect.DeepEqual(tt.pod, before) {
				t.Errorf("Inject changed the pod although it failed")
			}
		})
	}
	if err := Inject(nil, "team-a", newApp("team-a", "shop", logsAt("/l")), cfg); err == nil {
		t.Error("Inject(nil pod): no error")
	}
	if err := Inject(knativePod("shop"), "team-a", nil, cfg); err == nil {
		t.Error("Inject(nil App): no error")
	}
}

func TestHostPath(t *testing.T) {
	for _, tt := range []struct {
		cfg       Config
		ns, app   string
		want      string
		wantErr   error
		wantInMsg string
	}{
		{cfg: cfg, ns: "team-a", app: "shop", want: "/var/log/knapp/team-a/shop"},
		{cfg: Config{LogRoot: "/logs"}, ns: "a", app: "b", want: "/logs/a/b"},
		{cfg: cfg, ns: strings.Repeat("n", 63), app: strings.Repeat("a", 63), want: logRoot + "/" + strings.Repeat("n", 63) + "/" + strings.Repeat("a", 63)},
		// Traversal and other names that are not DNS labels.
		{cfg: cfg, ns: "..", app: "shop", wantErr: ErrName, wantInMsg: "namespace"},
		{cfg: cfg, ns: ".", app: "shop", wantErr: ErrName},
		{cfg: cfg, ns: "team-a", app: "..", wantErr: ErrName, wantInMsg: "App name"},
		{cfg: cfg, ns: "team-a", app: "../../etc", wantErr: ErrName},
		{cfg: cfg, ns: "../other-ns", app: "shop", wantErr: ErrName},
		{cfg: cfg, ns: "team-a/../../..", app: "etc", wantErr: ErrName},
		{cfg: cfg, ns: "team-a", app: "shop/../../other-ns/app", wantErr: ErrName},
		{cfg: cfg, ns: "/etc", app: "shop", wantErr: ErrName},
		{cfg: cfg, ns: "team-a", app: "/", wantErr: ErrName},
		{cfg: cfg, ns: "", app: "shop", wantErr: ErrName},
		{cfg: cfg, ns: "team-a", app: "", wantErr: ErrName},
		{cfg: cfg, ns: "Team-A", app: "shop", wantErr: ErrName},
		{cfg: cfg, ns: "team-a", app: "shop.v2", wantErr: ErrName},
		{cfg: cfg, ns: "team-a", app: "shop\x00", wantErr: ErrName},
		{cfg: cfg, ns: "team-a", app: "shop\n", wantErr: ErrName},
		{cfg: cfg, ns: "team-a", app: strings.Repeat("a", 64), wantErr: ErrName},
		// Log roots that are not absolute, clean directories below /.
		{cfg: Config{}, ns: "team-a", app: "shop", wantErr: ErrConfig},
		{cfg: Config{LogRoot: "/"}, ns: "team-a", app: "shop", wantErr: ErrConfig},
		{cfg: Config{LogRoot: "var/log"}, ns: "team-a", app: "shop", wantErr: ErrConfig},
		{cfg: Config{LogRoot: "/var/log/knapp/"}, ns: "team-a", app: "shop", wantErr: ErrConfig},
		{cfg: Config{LogRoot: "/var/log/../../etc"}, ns: "team-a", app: "shop", wantErr: ErrConfig},
		{cfg: Config{LogRoot: "//var/log"}, ns: "team-a", app: "shop", wantErr: ErrConfig},
	} {
		got, err := HostPath(tt.cfg, tt.ns, tt.app)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("HostPath(%q, %q, %q) = %q, %v; want %q, %v", tt.cfg.LogRoot, tt.ns, tt.app, got, err, tt.want, tt.wantErr)
			continue
		}
		if tt.wantInMsg != "" && !strings.Contains(err.Error(), tt.wantInMsg) {
			t.Errorf("HostPath(%q, %q, %q): error %q does not say %q", tt.cfg.LogRoot, tt.ns, tt.app, err, tt.wantInMsg)
		}
	}
}
