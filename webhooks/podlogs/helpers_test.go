package podlogs

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

const logRoot = "/var/log/knapp"

var cfg = Config{LogRoot: logRoot}

// newApp makes App namespace/name with spec.logs (nil: none).
func newApp(namespace, name string, logs *v1alpha1.Logs, opts ...func(*v1alpha1.App)) *v1alpha1.App {
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/" + namespace + "/" + name + ":1", Logs: logs},
	}
	for _, o := range opts {
		o(app)
	}
	return app
}

func logsAt(p string) *v1alpha1.Logs { return &v1alpha1.Logs{Path: p} }

// newPod makes a pod of App app at CREATE (no name, generateName) with the
// containers (names only, more fields by opts).
func newPod(app string, containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: app + "-00001-deployment-5d8c7f9b6d-",
			Labels:       map[string]string{v1alpha1.LabelApp: app, v1alpha1.LabelLogs: "true"},
		},
		Spec: corev1.PodSpec{Containers: containers},
	}
}

func ctr(name string) corev1.Container {
	return corev1.Container{Name: name, Image: "registry.example.com/" + name + ":1"}
}

// knativePod is the usual pod of a one-container App: user-container and
// Knative's queue-proxy.
func knativePod(app string) *corev1.Pod {
	return newPod(app, ctr("user-container"), ctr("queue-proxy"))
}

func wantVolume(hostPath string) corev1.Volume {
	t := corev1.HostPathDirectoryOrCreate
	return corev1.Volume{Name: "knapp-logs", VolumeSource: corev1.VolumeSource{
		HostPath: &corev1.HostPathVolumeSource{Path: hostPath, Type: &t},
	}}
}

func wantMount(mountPath string) corev1.VolumeMount {
	return corev1.VolumeMount{Name: "knapp-logs", MountPath: mountPath, SubPathExpr: "$(KNAPP_POD_NAME)"}
}

func wantEnv() corev1.EnvVar {
	return corev1.EnvVar{Name: "KNAPP_POD_NAME", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"},
	}}
}

// revisionPodJSON is a Knative revision pod as the apiserver sends it to a
// mutating webhook at CREATE (defaulted, service account volume added).
func revisionPodJSON(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/revision-pod.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func revisionPod(t testing.TB) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	if err := json.Unmarshal(revisionPodJSON(t), pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

// fakeApps is a map-backed AppGetter; err, when set, is returned for every
// lookup.
type fakeApps struct {
	mu    sync.Mutex
	apps  map[string]*v1alpha1.App // by namespace/name
	err   error
	calls int
}

func newFakeApps(apps ...*v1alpha1.App) *fakeApps {
	f := &fakeApps{apps: map[string]*v1alpha1.App{}}
	for _, a := range apps {
		f.apps[a.Namespace+"/"+a.Name] = a
	}
	return f
}

func (f *fakeApps) GetApp(_ context.Context, namespace, name string) (*v1alpha1.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	app, ok := f.apps[namespace+"/"+name]
	if !ok {
		return nil, apierrors.NewNotFound(v1alpha1.GroupVersion.WithResource("apps").GroupResource(), name)
	}
	return app.DeepCopy(), nil
}
