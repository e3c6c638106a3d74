package webhooks_test

import (
	"context"
	"path"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/webhooks/podlogs"
)

// logsApp is an App named name in ns; with logsPath != "" it asks for logs
// there.
func logsApp(ns, name, logsPath string) *v1alpha1.App {
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/" + ns + "/" + name + ":1.0.0"},
	}
	if logsPath != "" {
		app.Spec.Logs = &v1alpha1.Logs{Path: logsPath}
	}
	return app
}

// revisionPod is shaped like a pod of a Knative revision of App app: the
// containers user-container and queue-proxy, and the labels knapp puts on
// the revision template (knapp.dev/app, and knapp.dev/logs when logs).
func revisionPod(ns, name, app string, logs bool) *corev1.Pod {
	labels := map[string]string{
		v1alpha1.LabelApp:                   app,
		"serving.knative.dev/service":       app,
		"serving.knative.dev/configuration": app,
		"serving.knative.dev/revision":      app + "-00001",
	}
	if logs {
		labels[v1alpha1.LabelLogs] = "true"
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, Labels: labels,
			Annotations: map[string]string{"serving.knative.dev/creator": "team-a@example.com"},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{
				{
					Name:  "user-container",
					Image: "registry.example.com/" + ns + "/" + app + "@sha256:" + strings.Repeat("a", 64),
					Ports: []corev1.ContainerPort{{Name: "user-port", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
					Env: []corev1.EnvVar{
						{Name: "PORT", Value: "8080"},
						{Name: "K_REVISION", Value: app + "-00001"},
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "cache", MountPath: "/cache"}},
				},
				{
					Name:  "queue-proxy",
					Image: "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + strings.Repeat("b", 64),
					Ports: []corev1.ContainerPort{{Name: "http-queueadm", ContainerPort: 8022, Protocol: corev1.ProtocolTCP}},
					Env:   []corev1.EnvVar{{Name: "SERVING_NAMESPACE", Value: ns}},
				},
			},
			Volumes:                       []corev1.Volume{{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			EnableServiceLinks:            new(bool),
			TerminationGracePeriodSeconds: new(int64),
		},
	}
}

// createPod creates pod and returns it as the apiserver stored it.
func createPod(t *testing.T, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	create(t, pod)
	got := &corev1.Pod{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), got); err != nil {
		t.Fatalf("reading pod %s back: %v", pod.Name, err)
	}
	return got
}

func container(t *testing.T, pod *corev1.Pod, name string) *corev1.Container {
	t.Helper()
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	t.Fatalf("pod %s has no container %q", pod.Name, name)
	return nil
}

// hostPathVolumes are the pod's hostPath volumes, as name=path.
func hostPathVolumes(pod *corev1.Pod) []string {
	var out []string
	for _, v := range pod.Spec.Volumes {
		if v.HostPath != nil {
			out = append(out, v.Name+"="+v.HostPath.Path)
		}
	}
	return out
}

// knappParts are what the pod webhook owns in a pod, as stored.
type knappParts struct {
	Volumes    []corev1.Volume
	Mounts     map[string][]corev1.VolumeMount
	Env        map[string][]corev1.EnvVar
	Annotation string
}

func partsOf(pod *corev1.Pod) knappParts {
	p := knappParts{Mounts: map[string][]corev1.VolumeMount{}, Env: map[string][]corev1.EnvVar{}, Annotation: pod.Annotations[podlogs.AnnotationHostPath]}
	for _, v := range pod.Spec.Volumes {
		if v.Name == podlogs.VolumeName || v.HostPath != nil {
			p.Volumes = append(p.Volumes, v)
		}
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, m := range c.VolumeMounts {
				if m.Name == podlogs.VolumeName {
					p.Mounts[c.Name] = append(p.Mounts[c.Name], m)
				}
			}
			for _, e := range c.Env {
				if e.Name == podlogs.EnvPodName {
					p.Env[c.Name] = append(p.Env[c.Name], e)
				}
			}
		}
	}
	return p
}

// assertInjected checks that pod has exactly knapp's log directory for App
// app in ns, mounted at mountPath in user-container only.
func assertInjected(t *testing.T, pod *corev1.Pod, ns, app, mountPath string) {
	t.Helper()
	want := path.Join(logRoot, ns, app)
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	wantParts := knappParts{
		Volumes: []corev1.Volume{{Name: podlogs.VolumeName, VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: want, Type: &dirOrCreate},
		}}},
		Mounts: map[string][]corev1.VolumeMount{"user-container": {{
			Name: podlogs.VolumeName, MountPath: mountPath, SubPathExpr: "$(" + podlogs.EnvPodName + ")",
		}}},
		Env: map[string][]corev1.EnvVar{"user-container": {{
			Name:      podlogs.EnvPodName,
			ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}},
		}}},
		Annotation: want,
	}
	if got := partsOf(pod); !reflect.DeepEqual(got, wantParts) {
		t.Errorf("pod %s: knapp's parts\n got %+v\nwant %+v", pod.Name, got, wantParts)
	}
	// The pod's own things survive.
	uc := container(t, pod, "user-container")
	if len(uc.VolumeMounts) == 0 || uc.VolumeMounts[0].Name != "cache" {
		t.Errorf("pod %s: user-container lost its own mount: %+v", pod.Name, uc.VolumeMounts)
	}
	if len(uc.Env) < 2 || uc.Env[0].Name != "PORT" || uc.Env[1].Name != "K_REVISION" {
		t.Errorf("pod %s: user-container lost its own env: %+v", pod.Name, uc.Env)
	}
}

// assertUntouched checks that the pod webhook changed nothing of pod.
func assertUntouched(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	if got := partsOf(pod); len(got.Volumes) != 0 || len(got.Mounts) != 0 || len(got.Env) != 0 || got.Annotation != "" {
		t.Errorf("pod %s: want no logs injected, got %+v", pod.Name, got)
	}
	if hp := hostPathVolumes(pod); len(hp) != 0 {
		t.Errorf("pod %s: hostPath volumes %q, want none", pod.Name, hp)
	}
}

func TestPodOfLogsAppGetsItsLogDirectory(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	create(t, logsApp(ns, "shop", "/app/logs"))

	pod := createPod(t, revisionPod(ns, "shop-00001-deployment-abc12", "shop", true))
	assertInjected(t, pod, ns, "shop", "/app/logs")
	if m := container(t, pod, "queue-proxy").VolumeMounts; len(m) != 0 {
		t.Errorf("queue-proxy has mounts %+v, want none", m)
	}
	if e := container(t, pod, "queue-proxy").Env; len(e) != 1 {
		t.Errorf("queue-proxy env %+v, want only its own", e)
	}

	// The same pod spec under another name gets the very same.
	second := createPod(t, revisionPod(ns, "shop-00001-deployment-xyz89", "shop", true))
	assertInjected(t, second, ns, "shop", "/app/logs")
	if a, b := partsOf(pod), partsOf(second); !reflect.DeepEqual(a, b) {
		t.Errorf("two pods of one spec differ:\n%+v\n%+v", a, b)
	}
	if !reflect.DeepEqual(pod.Spec.Volumes, second.Spec.Volumes) {
		t.Errorf("volumes differ:\n%+v\n%+v", pod.Spec.Volumes, second.Spec.Volumes)
	}
	if !reflect.DeepEqual(pod.Spec.Containers, second.Spec.Containers) {
		t.Errorf("containers differ:\n%+v\n%+v", pod.Spec.Containers, second.Spec.Containers)
	}
}

// A pod's annotation cannot choose the host path: it is overwritten.
func TestPodAnnotationCannotChooseHostPath(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	create(t, logsApp(ns, "shop", "/app/logs"))
	for i, hostile := range []string{"/", "/etc", "/var/run/docker.sock", "../other-ns", logRoot + "/other-ns/shop"} {
		pod := revisionPod(ns, "shop-hostile-"+string(rune('a'+i)), "shop", true)
		pod.Annotations[podlogs.AnnotationHostPath] = hostile
		got := createPod(t, pod)
		assertInjected(t, got, ns, "shop", "/app/logs")
		if hp := hostPathVolumes(got); !reflect.DeepEqual(hp, []string{podlogs.VolumeName + "=" + path.Join(logRoot, ns, "shop")}) {
			t.Errorf("annotation %q: hostPath volumes %q", hostile, hp)
		}
	}
}

// An App is looked up in the pod's own namespace only: a label naming an
// App of another namespace gets the pod nothing.
func TestPodCannotUseAppOfAnotherNamespace(t *testing.T) {
	t.Parallel()
	nsA, nsB := newNamespace(t, nil), newNamespace(t, nil)
	create(t, logsApp(nsB, "other", "/app/logs"))
	pod := revisionPod(nsA, "other-00001-deployment-abc12", "other", true)
	pod.Labels["knapp.dev/namespace"] = nsB // no such thing, but try anyway
	assertUntouched(t, createPod(t, pod))

	// The same pod in B, where the App is, gets its directory in B.
	assertInjected(t, createPod(t, revisionPod(nsB, "other-00001-deployment-abc12", "other", true)), nsB, "other", "/app/logs")
}

// A pod of an App that asks for logs may not bring hostPath volumes of its
// own; the denial names the volume.
func TestPodWithOwnHostPathIsRefused(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	create(t, logsApp(ns, "shop", "/app/logs"))
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	for _, tc := range []struct {
		name   string
		volume corev1.Volume
	}{
		{"docker socket", corev1.Volume{Name: "docker-sock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}}},
		// knapp-logs pre-seeded as a hostPath other than the App's: refused
		// (the handler accepts knapp-logs only exactly as Inject makes it).
		{"knapp-logs at /", corev1.Volume{Name: podlogs.VolumeName, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: &dirOrCreate}}}},
	} {
		pod := revisionPod(ns, "shop-own-"+strings.ReplaceAll(tc.volume.Name, "-", ""), "shop", true)
		pod.Spec.Volumes = append(pod.Spec.Volumes, tc.volume)
		err := k8s.Create(context.Background(), pod)
		if err == nil {
			t.Errorf("%s: pod admitted with volumes %q", tc.name, hostPathVolumes(pod))
			continue
		}
		for _, want := range []string{`admission webhook "podlogs.knapp.dev" denied the request`, "may not declare hostPath volumes", `(volume "` + tc.volume.Name + `")`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q should contain %q", tc.name, err, want)
			}
		}
	}
}

// A volume named knapp-logs that is not a hostPath (so not refused) is
// replaced by the App's directory, and a mount of it in another container
// is removed.
func TestPodPreSeededLogsVolumeIsReplaced(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	create(t, logsApp(ns, "shop", "/app/logs"))
	pod := revisionPod(ns, "shop-preseeded", "shop", true)
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: podlogs.VolumeName, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	qp := &pod.Spec.Containers[1]
	qp.VolumeMounts = append(qp.VolumeMounts, corev1.VolumeMount{Name: podlogs.VolumeName, MountPath: "/host"})
	qp.Env = append(qp.Env, corev1.EnvVar{Name: podlogs.EnvPodName, Value: "forged"})
	uc := &pod.Spec.Containers[0]
	uc.VolumeMounts = append(uc.VolumeMounts, corev1.VolumeMount{Name: podlogs.VolumeName, MountPath: "/app/logs", SubPath: "../../.."})
	uc.Env = append(uc.Env, corev1.EnvVar{Name: podlogs.EnvPodName, Value: "../../etc"})

	got := createPod(t, pod)
	// queue-proxy's own env var of knapp's name is not knapp's business
	// (only the log container's is replaced); drop it before comparing.
	qpGot := container(t, got, "queue-proxy")
	if n := len(qpGot.VolumeMounts); n != 0 {
		t.Errorf("queue-proxy kept mounts %+v", qpGot.VolumeMounts)
	}
	qpGot.Env = nil
	assertInjected(t, got, ns, "shop", "/app/logs")
}

// Pods of an App without spec.logs, and pods without the knapp.dev/logs
// label (which the webhook configuration's objectSelector keeps from the
// webhook altogether), are stored as sent.
func TestPodsWithoutLogsAreUnchanged(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	create(t, logsApp(ns, "plain", ""))
	create(t, logsApp(ns, "shop", "/app/logs"))

	assertUntouched(t, createPod(t, revisionPod(ns, "plain-00001-deployment-abc12", "plain", true)))
	// No such App at all.
	assertUntouched(t, createPod(t, revisionPod(ns, "ghost-00001-deployment-abc12", "ghost", true)))

	// The logs App's pod without knapp.dev/logs never reaches the webhook:
	// were it called, it would inject (the App has logs).
	assertUntouched(t, createPod(t, revisionPod(ns, "shop-00001-deployment-nolabel", "shop", false)))
	// knapp.dev/logs with another value than "true" is not selected either.
	pod := revisionPod(ns, "shop-00001-deployment-false", "shop", false)
	pod.Labels[v1alpha1.LabelLogs] = "false"
	assertUntouched(t, createPod(t, pod))
}
