package podlogs

import (
	"os"
	"reflect"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
)

// TestWebhookConfiguration keeps config/webhook/podlogs.yaml in step with
// the code: the path, the label knapp puts on pods, and the settings whose
// reasons its comments give.
func TestWebhookConfiguration(t *testing.T) {
	data, err := os.ReadFile("../../config/webhook/podlogs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var mwc admissionregistrationv1.MutatingWebhookConfiguration
	if err := yaml.UnmarshalStrict(data, &mwc); err != nil {
		t.Fatalf("config/webhook/podlogs.yaml: %v", err)
	}
	if mwc.Kind != "MutatingWebhookConfiguration" || mwc.Name != "knapp-podlogs" || len(mwc.Webhooks) != 1 {
		t.Fatalf("want one webhook in the MutatingWebhookConfiguration knapp-podlogs, got %s %s with %d", mwc.Kind, mwc.Name, len(mwc.Webhooks))
	}
	wh := mwc.Webhooks[0]
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("name", wh.Name, "podlogs.knapp.dev")
	svc := wh.ClientConfig.Service
	if svc == nil || svc.Path == nil || svc.Port == nil {
		t.Fatalf("clientConfig.service %+v: want name, namespace, path and port", svc)
	}
	check("service", svc.Namespace+"/"+svc.Name, "knapp-system/knapp-webhook")
	check("service.path", *svc.Path, Path)
	check("service.port", *svc.Port, int32(443))
	check("rules", wh.Rules, []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule: admissionregistrationv1.Rule{
			APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"},
			Scope: ptr(admissionregistrationv1.NamespacedScope),
		},
	}})
	check("objectSelector", wh.ObjectSelector, &metav1.LabelSelector{MatchLabels: map[string]string{v1alpha1.LabelLogs: "true"}})
	check("namespaceSelector", wh.NamespaceSelector, &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn,
		Values: []string{"kube-system", "kube-public", "kube-node-lease", "knative-serving", "istio-system", "argo", "knapp-system"},
	}}})
	check("failurePolicy", wh.FailurePolicy, ptr(admissionregistrationv1.Fail))
	check("timeoutSeconds", wh.TimeoutSeconds, ptr(int32(2)))
	check("sideEffects", wh.SideEffects, ptr(admissionregistrationv1.SideEffectClassNone))
	check("matchPolicy", wh.MatchPolicy, ptr(admissionregistrationv1.Equivalent))
	check("reinvocationPolicy", wh.ReinvocationPolicy, ptr(admissionregistrationv1.IfNeededReinvocationPolicy))
	check("admissionReviewVersions", wh.AdmissionReviewVersions, []string{"v1"})
}

func ptr[T any](v T) *T { return &v }
