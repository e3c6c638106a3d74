package podlogs

import (
	"encoding/json"
	"path"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// FuzzInject: for any pod, namespace, App name, logs.path and logs.container,
// Inject never panics; when it fails the pod is unchanged; when it succeeds
// the pod's only hostPath volume is knapp-logs at <log root>/<namespace>/<app>,
// mounted once, with the annotation saying so, and a second Inject changes
// nothing. Seeds are in testdata/fuzz/FuzzInject.
func FuzzInject(f *testing.F) {
	f.Fuzz(func(t *testing.T, podJSON []byte, namespace, appName, logsPath, container string) {
		pod := &corev1.Pod{}
		if err := json.Unmarshal(podJSON, pod); err != nil {
			return
		}
		app := newApp(namespace, appName, &v1alpha1.Logs{Path: logsPath, Container: container})
		before := pod.DeepCopy()
		if err := Inject(pod, namespace, app, cfg); err != nil {
			if !reflect.DeepEqual(pod, before) {
				t.Fatalf("Inject failed (%v) but changed the pod", err)
			}
			return
		}

		want := logRoot + "/" + namespace + "/" + appName
		if path.Clean(want) != want || !strings.HasPrefix(want, logRoot+"/") || path.Dir(path.Dir(want)) != logRoot {
			t.Fatalf("Inject accepted namespace %q, App %q: host path %q is not directly below %s/<namespace>", namespace, appName, want, logRoot)
		}
		if got := hostPaths(pod); len(got) != 1 || got[0] != want {
			t.Fatalf("hostPath volumes %q, want only %q", got, want)
		}
		if got := pod.Annotations[AnnotationHostPath]; got != want {
			t.Fatalf("annotation %q, want %q", got, want)
		}
		mounts := 0
		for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
			for _, c := range cs {
				for _, m := range c.VolumeMounts {
					if m.Name != VolumeName {
						continue
					}
					mounts++
					if m.SubPathExpr != "$(KNAPP_POD_NAME)" || m.SubPath != "" || !path.IsAbs(m.MountPath) || m.MountPath == "/" {
						t.Fatalf("mount %+v in container %q", m, c.Name)
					}
				}
			}
		}
		if mounts != 1 {
			t.Fatalf("%d mounts of %s, want 1", mounts, VolumeName)
		}

		once := pod.DeepCopy()
		if err := Inject(pod, namespace, app, cfg); err != nil {
			t.Fatalf("second Inject: %v", err)
		}
		if !reflect.DeepEqual(pod, once) {
			t.Fatalf("Inject twice differs from once")
		}
	})
}
