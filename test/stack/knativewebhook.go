package stack

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/test/testenv"
)

// Knative Serving's own webhook (knative.dev/serving/cmd/webhook, built by
// test/controlplane/knative.sh next to the controller) admits Services,
// Configurations, Revisions, Routes and Knative's internal kinds with
// Knative's real code. It issues its own certificate (into the Secret
// webhook-certs) and keeps its webhook configurations' CA bundle, rules and
// paths, but insists on a Service reference in them: a URL makes its
// reconciler fail ("missing service reference"). Without kube-proxy no
// Service IP leads anywhere, so the Service named there is an ExternalName
// for localhost, which the apiserver resolves to localhost:<the reference's
// port>; Knative's reconciler leaves that port as it is. The apiserver
// still checks the certificate for webhook.knative-serving.svc, the name
// Knative issues it for.

// knativeWebhookFiles are the webhook configurations and the empty Secret
// as Knative's release ships them.
const knativeWebhookFiles = "config/core/webhooks/*.yaml"

// InstallKnativeWebhook creates Knative's webhook configurations, pointed at
// the Service webhook in knative-serving on port, that Service as an
// ExternalName for localhost, and the Secret Knative's webhook keeps its
// certificate in. Start testenv WithoutKnativeAdmission, since the
// configurations take the names of testenv's in-process ones, and apply
// ConfigureKnative first (the namespace).
func InstallKnativeWebhook(ctx context.Context, c client.Client, port int) error {
	dir, err := testenv.ModuleDir("knative.dev/serving")
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(knativeWebhookFiles)))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no Knative webhook configurations in %s/%s (%v)", dir, knativeWebhookFiles, err)
	}
	var objs []*unstructured.Unstructured
	for _, f := range files {
		o, err := testenv.ReadObjects(f)
		if err != nil {
			return err
		}
		objs = append(objs, o...)
	}
	for _, o := range objs {
		if err := setServicePort(o, port); err != nil {
			return err
		}
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating Knative's %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: KnativeNamespace, Name: "webhook"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"},
	}
	return c.Create(ctx, svc)
}

// setServicePort sets the port of each webhook's service reference in a
// webhook configuration; other objects pass unchanged.
func setServicePort(o *unstructured.Unstructured, port int) error {
	if o.GetKind() != "MutatingWebhookConfiguration" && o.GetKind() != "ValidatingWebhookConfiguration" {
		return nil
	}
	hooks, _, err := unstructured.NestedSlice(o.Object, "webhooks")
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if err := unstructured.SetNestedField(h.(map[string]any), int64(port), "clientConfig", "service", "port"); err != nil {
			return err
		}
	}
	return unstructured.SetNestedSlice(o.Object, hooks, "webhooks")
}

// StartKnativeWebhook starts Knative Serving's webhook on port (every
// interface, as in its pod). It serves no health probes, so unlike the
// controller it takes no fixed port.
func StartKnativeWebhook(bin, kubeconfig string, port int, logPath string) (*Process, error) {
	cmd, err := knativeCommand(bin, kubeconfig, "knative-webhook-local",
		"WEBHOOK_NAME=webhook", // the Service the configurations name
		"WEBHOOK_PORT="+strconv.Itoa(port),
	)
	if err != nil {
		return nil, err
	}
	Progress("starting %s on :%d (logs: %s)", bin, port, logPath)
	return StartLogged("Knative's webhook", cmd, logPath)
}

// WaitForKnativeWebhook waits until the apiserver gets answers from
// Knative's webhook: its certificate issued, the configurations' CA bundle
// set, its handlers serving. The probe is a dry-run Route in namespace ns,
// which both of its webhooks admit and nothing stores.
func WaitForKnativeWebhook(ctx context.Context, c client.Client, webhook *Process, ns string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		route := &servingv1.Route{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "knative-webhook-probe-"},
			Spec: servingv1.RouteSpec{Traffic: []servingv1.TrafficTarget{{
				ConfigurationName: "probe", Percent: ptrTo[int64](100),
			}}},
		}
		err := c.Create(ctx, route, client.DryRunAll)
		if err == nil {
			return nil
		}
		select {
		case <-webhook.Exited():
			return webhook.ExitError()
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Knative's webhook does not admit within %s: %w", timeout, err)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
