package podlogs

import (
	"errors"
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
)

// What Inject adds to a pod. They are knapp's: a pod's own volume, mount or
// env var of these names is replaced.
const (
	// VolumeName is the hostPath volume of the App's log directory.
	VolumeName = "knapp-logs"
	// EnvPodName holds the pod's name (downward API); the mount's
	// subPathExpr expands it, so each pod has its own sub-directory.
	EnvPodName = "KNAPP_POD_NAME"
	// AnnotationHostPath records the node directory the volume mounts (the
	// pod's files are in its sub-directory named like the pod).
	AnnotationHostPath = "knapp.dev/logs-host-path"
)

// sidecars are containers that others add to a revision's pod; the App's
// own container is never one of them when Inject has to guess.
var sidecars = map[string]bool{v1alpha1.QueueProxyContainerName: true, "istio-proxy": true}

// Errors of Inject and HostPath, for errors.Is; the returned errors wrap
// them with the details.
var (
	// ErrConfig: the platform's log root is not usable.
	ErrConfig = errors.New("invalid podlogs config")
	// ErrName: a namespace or App name that is not a DNS label.
	ErrName = errors.New("not a DNS label")
	// ErrLogsPath: spec.logs.path is not an absolute path below /.
	ErrLogsPath = errors.New("invalid spec.logs.path")
	// ErrContainerNotFound: the pod has no container to mount the logs in.
	ErrContainerNotFound = errors.New("log container not found")
	// ErrMountPathCollision: the container mounts something else at
	// spec.logs.path.
	ErrMountPathCollision = errors.New("mount path collision")
	// ErrHostPathVolume: the pod declares a hostPath volume of its own.
	ErrHostPathVolume = errors.New("pods of knapp Apps may not declare hostPath volumes; knapp injects the log directory")
	// ErrNoLogs: the App has no spec.logs.
	ErrNoLogs = errors.New("the App has no spec.logs")
)

// Config is the platform's part.
type Config struct {
	// LogRoot is the node directory under which each App's log directory
	// <LogRoot>/<namespace>/<app> is made, e.g. /var/log/knapp. Absolute,
	// clean, not /.
	LogRoot string
}

// Validate checks LogRoot.
func (c Config) Validate() error {
	if !path.IsAbs(c.LogRoot) || path.Clean(c.LogRoot) != c.LogRoot || c.LogRoot == "/" {
		return fmt.Errorf("%w: logRoot %q: want an absolute, clean directory other than /", ErrConfig, c.LogRoot)
	}
	return nil
}

// HostPath is the node directory of an App's logs:
// <cfg.LogRoot>/<namespace>/<app>. Both names must be DNS labels (Kubernetes
// validates namespace names, and knapp App names, so; this is defence in
// depth, as is checking that the result is a clean path directly below the
// log root). Host paths are Linux paths, so this uses package path, not
// filepath.
func HostPath(cfg Config, namespace, app string) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	for _, n := range []struct{ what, name string }{{"namespace", namespace}, {"App name", app}} {
		if msgs := validation.IsDNS1123Label(n.name); len(msgs) > 0 {
			return "", fmt.Errorf("%s %q: %w: %s", n.what, n.name, ErrName, strings.Join(msgs, "; "))
		}
	}
	p := path.Join(cfg.LogRoot, namespace, app)
	if path.Clean(p) != p || !strings.HasPrefix(p, cfg.LogRoot+"/") || path.Dir(path.Dir(p)) != cfg.LogRoot {
		return "", fmt.Errorf("%w: host path %q leaves the log root %q", ErrName, p, cfg.LogRoot)
	}
	return p, nil
}

// Inject adds to pod: a hostPath volume knapp-logs at
// <LogRoot>/<namespace>/<app name> (type DirectoryOrCreate), a mount of it at
// app.Spec.Logs.Path in the target container with subPathExpr
// $(KNAPP_POD_NAME) (one sub-directory per pod), the env var KNAPP_POD_NAME
// from the downward API in that container, and the annotation
// knapp.dev/logs-host-path: <the host path>. Applying it twice equals once.
//
// The target container is app.Spec.Logs.Container when set (an error if the
// pod has none of that name); otherwise the App's own container: the name
// its first container has in the App, else Knative's user-container, else
// the pod's first container that is not queue-proxy or istio-proxy.
//
// The host path comes only from cfg.LogRoot, namespace (the admission
// request's namespace: pod.Namespace may be empty at CREATE) and app.Name (an
// App that exists, looked up by the caller), never from the pod. A volume
// named knapp-logs, the target container's mount of it and its env var
// KNAPP_POD_NAME are replaced; mounts of knapp-logs in other containers are
// removed. Any other hostPath volume is an error (ErrHostPathVolume), so on
// success the only hostPath in the pod is knapp's.
//
// On error the pod is unchanged.
func Inject(pod *corev1.Pod, namespace string, app *v1alpha1.App, cfg Config) error {
	if pod == nil || app == nil {
		return errors.New("podlogs.Inject: nil pod or App")
	}
	if app.Spec.Logs == nil {
		return fmt.Errorf("App %s/%s: %w", namespace, app.Name, ErrNoLogs)
	}
	hostPath, err := HostPath(cfg, namespace, app.Name)
	if err != nil {
		return err
	}
	mountPath, err := logsMountPath(app.Spec.Logs.Path)
	if err != nil {
		return err
	}
	if name := foreignHostPath(pod.Spec.Volumes); name != "" {
		return fmt.Errorf("%w (volume %q)", ErrHostPathVolume, name)
	}
	idx, err := targetContainer(pod, app)
	if err != nil {
		return err
	}
	target := &pod.Spec.Containers[idx]
	if err := checkCollision(target, mountPath); err != nil {
		return err
	}

	// Validated: from here on nothing fails.
	pod.Spec.Volumes = replaceNamed(pod.Spec.Volumes, logsVolume(hostPath), volumeName)
	for i := range pod.Spec.InitContainers {
		pod.Spec.InitContainers[i].VolumeMounts = removeMounts(pod.Spec.InitContainers[i].VolumeMounts)
	}
	for i := range pod.Spec.Containers {
		if i != idx {
			pod.Spec.Containers[i].VolumeMounts = removeMounts(pod.Spec.Containers[i].VolumeMounts)
		}
	}
	target.VolumeMounts = replaceNamed(target.VolumeMounts, corev1.VolumeMount{
		Name:        VolumeName,
		MountPath:   mountPath,
		SubPathExpr: "$(" + EnvPodName + ")",
	}, mountName)
	// env wins over envFrom, so a ConfigMap cannot override it either.
	target.Env = replaceNamed(target.Env, corev1.EnvVar{
		Name: EnvPodName,
		ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"},
		},
	}, envName)
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[AnnotationHostPath] = hostPath
	return nil
}

// logsVolume is the volume Inject adds for hostPath.
func logsVolume(hostPath string) corev1.Volume {
	t := corev1.HostPathDirectoryOrCreate
	return corev1.Volume{
		Name: VolumeName,
		VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: hostPath, Type: &t},
		},
	}
}

// logsMountPath checks spec.logs.path by the App's rules
// (v1alpha1.ValidateLogsMountPath) and returns it cleaned.
func logsMountPath(p string) (string, error) {
	clean, errs := v1alpha1.ValidateLogsMountPath(p, field.NewPath("spec", "logs", "path"))
	if len(errs) > 0 {
		return "", fmt.Errorf("%w %q: %s", ErrLogsPath, p, errs[0].ErrorBody())
	}
	return clean, nil
}

// foreignHostPath returns the name of the first hostPath volume that is not
// named knapp-logs ("" if none).
func foreignHostPath(vols []corev1.Volume) string {
	for _, v := range vols {
		if v.HostPath != nil && v.Name != VolumeName {
			return v.Name
		}
	}
	return ""
}

// targetContainer returns the index of the container the logs are mounted in.
func targetContainer(pod *corev1.Pod, app *v1alpha1.App) (int, error) {
	find := func(name string) int {
		for i := range pod.Spec.Containers {
			if pod.Spec.Containers[i].Name == name {
				return i
			}
		}
		return -1
	}
	if name := app.Spec.Logs.Container; name != "" {
		if i := find(name); i >= 0 {
			return i, nil
		}
		return -1, fmt.Errorf("%w: spec.logs.container %q is not a container of the pod (its containers: %s)",
			ErrContainerNotFound, name, containerNames(pod))
	}
	if cs := app.Spec.Template.Containers; len(cs) > 0 && cs[0].Name != "" {
		if i := find(cs[0].Name); i >= 0 {
			return i, nil
		}
	}
	if i := find(v1alpha1.UserContainerName); i >= 0 {
		return i, nil
	}
	for i := range pod.Spec.Containers {
		if !sidecars[pod.Spec.Containers[i].Name] {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: the pod has no container for the App's logs (its containers: %s); set spec.logs.container",
		ErrContainerNotFound, containerNames(pod))
}

func containerNames(pod *corev1.Pod) string {
	if len(pod.Spec.Containers) == 0 {
		return "none"
	}
	names := make([]string, len(pod.Spec.Containers))
	for i := range pod.Spec.Containers {
		names[i] = fmt.Sprintf("%q", pod.Spec.Containers[i].Name)
	}
	return strings.Join(names, ", ")
}

// checkCollision refuses a container that mounts another volume, or has a
// block device, at mountPath.
func checkCollision(c *corev1.Container, mountPath string) error {
	for _, m := range c.VolumeMounts {
		if m.Name != VolumeName && m.MountPath != "" && path.Clean(m.MountPath) == mountPath {
			return fmt.Errorf("%w: container %q already mounts volume %q at spec.logs.path %q; choose another logs.path",
				ErrMountPathCollision, c.Name, m.Name, mountPath)
		}
	}
	for _, d := range c.VolumeDevices {
		if d.DevicePath != "" && path.Clean(d.DevicePath) == mountPath {
			return fmt.Errorf("%w: container %q has device %q at spec.logs.path %q; choose another logs.path",
				ErrMountPathCollision, c.Name, d.Name, mountPath)
		}
	}
	return nil
}

// replaceNamed puts x in place of the first element of its name, drops any
// other of that name, or appends x. Replacing in place keeps the order (env
// vars after ours that refer to $(KNAPP_POD_NAME) keep working).
func replaceNamed[T any](xs []T, x T, name func(*T) string) []T {
	out, found := make([]T, 0, len(xs)+1), false
	for i := range xs {
		if name(&xs[i]) != name(&x) {
			out = append(out, xs[i])
		} else if !found {
			out, found = append(out, x), true
		}
	}
	if !found {
		out = append(out, x)
	}
	return out
}

func volumeName(v *corev1.Volume) string     { return v.Name }
func mountName(m *corev1.VolumeMount) string { return m.Name }
func envName(e *corev1.EnvVar) string        { return e.Name }

// removeMounts drops mounts of knapp-logs; it returns mounts itself when
// there are none, so a nil or empty list stays as it was.
func removeMounts(mounts []corev1.VolumeMount) []corev1.VolumeMount {
	n := 0
	for _, m := range mounts {
		if m.Name == VolumeName {
			n++
		}
	}
	if n == 0 {
		return mounts
	}
	out := make([]corev1.VolumeMount, 0, len(mounts)-n)
	for _, m := range mounts {
		if m.Name != VolumeName {
			out = append(out, m)
		}
	}
	return out
}
