package chart

import (
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// goTypes are the Go types of the kinds the chart renders, by apiVersion
// and kind. cert-manager's and the Prometheus Operator's kinds are not
// among them (their Go modules are not knapp's dependencies): their
// objects are compared field by field in certs_test.go and
// metrics_test.go.
var goTypes = map[[2]string]func() any{
	{"apiextensions.k8s.io/v1", "CustomResourceDefinition"}:               func() any { return &apiextensionsv1.CustomResourceDefinition{} },
	{"v1", "ServiceAccount"}:                                              func() any { return &corev1.ServiceAccount{} },
	{"v1", "ConfigMap"}:                                                   func() any { return &corev1.ConfigMap{} },
	{"v1", "Secret"}:                                                      func() any { return &corev1.Secret{} },
	{"v1", "Service"}:                                                     func() any { return &corev1.Service{} },
	{"apps/v1", "Deployment"}:                                             func() any { return &appsv1.Deployment{} },
	{"networking.k8s.io/v1", "NetworkPolicy"}:                             func() any { return &networkingv1.NetworkPolicy{} },
	{"policy/v1", "PodDisruptionBudget"}:                                  func() any { return &policyv1.PodDisruptionBudget{} },
	{"rbac.authorization.k8s.io/v1", "ClusterRole"}:                       func() any { return &rbacv1.ClusterRole{} },
	{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"}:                func() any { return &rbacv1.ClusterRoleBinding{} },
	{"rbac.authorization.k8s.io/v1", "Role"}:                              func() any { return &rbacv1.Role{} },
	{"rbac.authorization.k8s.io/v1", "RoleBinding"}:                       func() any { return &rbacv1.RoleBinding{} },
	{"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"}:   func() any { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
	{"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"}: func() any { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
	{"argoproj.io/v1alpha1", "ClusterWorkflowTemplate"}:                   func() any { return &wfv1.ClusterWorkflowTemplate{} },
	{"admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"}:      func() any { return &admissionregistrationv1.ValidatingAdmissionPolicy{} },
	{"admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"}: func() any {
		return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	},
}

var unstructuredKinds = map[[2]string]bool{
	{"cert-manager.io/v1", "Issuer"}:               true,
	{"cert-manager.io/v1", "Certificate"}:          true,
	{"monitoring.coreos.com/v1", "ServiceMonitor"}: true,
}

// TestStrictDecoding decodes every object of every toggle's rendering into
// its Go type, refusing unknown and duplicate fields: a misplaced or
// misspelt field in a template fails here, not on a cluster.
func TestStrictDecoding(t *testing.T) {
	if err := yaml.UnmarshalStrict([]byte("spec: {tpye: ClusterIP}"), &corev1.Service{}); err == nil {
		t.Fatal("strict decoding accepts unknown fields")
	}
	for _, tg := range append(toggles, toggle{name: "all on", values: "webhooks: {certManager: {enabled: true}}\nmetrics: {serviceMonitor: {enabled: true}}\nbuilds: {namespaces: [team-a]}"}) {
		t.Run(tg.name, func(t *testing.T) {
			for _, o := range render(t, tg.values).Objects {
				gvk := [2]string{o.GetAPIVersion(), o.GetKind()}
				if newT, ok := goTypes[gvk]; ok {
					decodeStrict(t, o, newT())
				} else if !unstructuredKinds[gvk] {
					t.Errorf("%s: %v has no Go type to check it with", o, gvk)
				}
			}
		})
	}
}
