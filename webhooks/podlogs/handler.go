package podlogs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/metrics"
)

// Path is where the webhook server serves the handler; the
// MutatingWebhookConfiguration (config/webhook/podlogs.yaml) calls it.
const Path = "/mutate-v1-pod-logs"

// AppGetter looks an App up.
type AppGetter interface {
	// GetApp returns the App; an error for which apierrors.IsNotFound is
	// true means there is none.
	GetApp(ctx context.Context, namespace, name string) (*v1alpha1.App, error)
}

// ClientApps is an AppGetter over a controller-runtime client, such as the
// manager's cached client (which already watches Apps for the reconciler).
type ClientApps struct {
	Reader client.Reader
}

// GetApp implements AppGetter.
func (c ClientApps) GetApp(ctx context.Context, namespace, name string) (*v1alpha1.App, error) {
	app := &v1alpha1.App{}
	if err := c.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, app); err != nil {
		return nil, err
	}
	return app, nil
}

// Handler is the admission handler of pod CREATE: it injects the log
// directory into pods of Apps with spec.logs (see Inject).
//
//   - not a pod CREATE, no knapp.dev/app label, no such App, or an App
//     without spec.logs: allowed unchanged, with the reason;
//   - a pod that declares a hostPath volume other than exactly the one Inject
//     would make: denied, naming the volume;
//   - Inject fails (no such container, a bad logs.path, a mount path
//     collision): denied with the reason, as the pod would otherwise run
//     without its logs;
//   - the App cannot be looked up: an error (500); the webhook's
//     failurePolicy Fail keeps the pod from starting without its logs, and
//     the ReplicaSet controller retries;
//   - otherwise: allowed with the JSON patch from the pod to the injected pod.
type Handler struct {
	// Apps looks up the App named by the pod's knapp.dev/app label.
	Apps AppGetter
	// Config is the platform's part (the log root).
	Config Config
	// Decoder decodes the pod; when nil, the pod is read as plain JSON.
	Decoder admission.Decoder
}

var _ admission.Handler = (*Handler)(nil)

var podResource = corev1.SchemeGroupVersion.WithResource("pods")

// Handle implements admission.Handler. It counts each decision in
// knapp_podlogs_admissions_total and logs the refusals and errors, which
// keep a pod from starting.
func (h *Handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp, log := h.handle(ctx, req)
	result := admissionResult(resp)
	metrics.PodLogsAdmissions.WithLabelValues(result).Inc()
	if result == metrics.PodLogsRefused || result == metrics.PodLogsErrored {
		var code int32
		msg := "no reason given"
		if resp.Result != nil {
			code, msg = resp.Result.Code, resp.Result.Message
		}
		if result == metrics.PodLogsRefused {
			log.Info("refused the pod", "message", msg)
		} else {
			log.Error(errors.New(msg), "could not decide on the pod", "code", code)
		}
	}
	return resp
}

// admissionResult is the result label of a response.
func admissionResult(resp admission.Response) string {
	switch {
	case resp.Allowed && len(resp.Patches) > 0:
		return metrics.PodLogsInjected
	case resp.Allowed:
		return metrics.PodLogsUnchanged
	case resp.Result != nil && resp.Result.Code == http.StatusForbidden:
		return metrics.PodLogsRefused
	default:
		return metrics.PodLogsErrored
	}
}

// handle decides; it returns the logger that names the pod and its App
// as far as they are known. The webhook's logger in ctx names the
// request's namespace and name (empty for a pod made from generateName,
// hence pod below).
func (h *Handler) handle(ctx context.Context, req admission.Request) (admission.Response, logr.Logger) {
	log := logf.FromContext(ctx)
	if req.Operation != admissionv1.Create {
		return admission.Allowed(fmt.Sprintf("knapp injects logs on pod CREATE only, not %s", req.Operation)), log
	}
	// matchPolicy Equivalent: Resource is what the webhook registered for
	// (v1 pods), whatever version the client used.
	if req.Resource.Group != podResource.Group || req.Resource.Resource != podResource.Resource || req.SubResource != "" {
		return admission.Allowed("not a pod; knapp injects logs into pods only"), log
	}
	pod := &corev1.Pod{}
	if err := h.decode(req, pod); err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("decoding the pod: %w", err)), log
	}
	appName := pod.Labels[v1alpha1.LabelApp]
	log = log.WithValues("pod", podName(pod), "app", appName)
	if appName == "" {
		return admission.Allowed("the pod has no " + v1alpha1.LabelApp + " label; no logs to inject"), log
	}
	ns := req.Namespace
	if ns == "" {
		return admission.Errored(http.StatusBadRequest, errors.New("the admission request has no namespace")), log
	}

	// One answer for "no such App" and "an App without logs": whoever can
	// reach the webhook's port learns nothing about which Apps exist.
	noLogs := admission.Allowed(fmt.Sprintf("no App %s/%s with spec.logs; no logs to inject", ns, appName))
	app, err := h.Apps.GetApp(ctx, ns, appName)
	switch {
	case apierrors.IsNotFound(err):
		log = log.WithValues("why", "no such App")
		return noLogs, log
	case err != nil:
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("looking up App %s/%s: %w", ns, appName, err)), log
	case app == nil:
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("looking up App %s/%s: no App and no error", ns, appName)), log
	case app.Spec.Logs == nil:
		log = log.WithValues("why", "the App has no spec.logs")
		return noLogs, log
	}

	hostPath, err := HostPath(h.Config, ns, app.Name)
	if err != nil {
		return admission.Denied(fmt.Sprintf("App %s/%s asks for logs, but they cannot be injected: %v", ns, appName, err)), log
	}
	if name := declaredHostPath(pod.Spec.Volumes, hostPath); name != "" {
		return admission.Denied(fmt.Sprintf("%v (volume %q)", ErrHostPathVolume, name)), log
	}
	if err := Inject(pod, ns, app, h.Config); err != nil {
		return admission.Denied(fmt.Sprintf("App %s/%s asks for logs, but they cannot be injected: %v", ns, appName, err)), log
	}
	mutated, err := json.Marshal(pod)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("encoding the pod: %w", err)), log
	}
	resp := admission.PatchResponseFromRaw(req.Object.Raw, mutated)
	log.V(1).Info("injected the log directory", "hostPath", hostPath, "patchOps", len(resp.Patches))
	return resp, log
}

// podName names the pod for the log: its name, or at CREATE from a
// ReplicaSet, where the apiserver has not named it yet, its generateName.
func podName(pod *corev1.Pod) string {
	if pod.Name != "" {
		return pod.Name
	}
	return pod.GenerateName
}

func (h *Handler) decode(req admission.Request, pod *corev1.Pod) error {
	if h.Decoder != nil {
		return h.Decoder.Decode(req, pod)
	}
	if len(req.Object.Raw) == 0 {
		return errors.New("the request has no object")
	}
	return json.Unmarshal(req.Object.Raw, pod)
}

// declaredHostPath returns the name of the first hostPath volume that is not
// exactly the one Inject makes for hostPath ("" if none). knapp-logs as
// Inject made it is accepted, so a reinvocation finds nothing to deny.
func declaredHostPath(vols []corev1.Volume, hostPath string) string {
	ours := logsVolume(hostPath)
	for i := range vols {
		if vols[i].HostPath != nil && !equality.Semantic.DeepEqual(vols[i], ours) {
			return vols[i].Name
		}
	}
	return ""
}
