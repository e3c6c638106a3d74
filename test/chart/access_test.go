package chart

import (
	"context"
	"fmt"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"knapp.dev/knapp/test/testenv"
)

// account is a ServiceAccount as the apiserver authenticates it.
type account struct{ namespace, name string }

func (a account) user() string { return "system:serviceaccount:" + a.namespace + ":" + a.name }

var (
	managerAccount  = account{installNamespace, "knapp"}
	executorAccount = account{buildNamespace, "knapp-build-executor"}
	// unbound has no binding of the chart's: it shows RBAC is enforced.
	unboundAccount = account{installNamespace, "nobody"}
)

// asAccount is a client that impersonates the account, with the groups
// the apiserver gives a ServiceAccount's token.
func asAccount(t *testing.T, env *testenv.Env, a account) *kubernetes.Clientset {
	t.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: a.user(),
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + a.namespace, "system:authenticated"},
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func asAdmin(t *testing.T, env *testenv.Env) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// access is one request's attributes: verb, group, resource[/subresource],
// namespace ("" for all or cluster-scoped) and name ("" for any).
type access struct{ verb, group, resource, subresource, namespace, name string }

func (a access) String() string {
	r := a.resource
	if a.subresource != "" {
		r += "/" + a.subresource
	}
	if a.group != "" {
		r += "." + a.group
	}
	return fmt.Sprintf("%s %s %q in %q", a.verb, r, a.name, a.namespace)
}

// managerNeeds is what knapp's manager does: the reconciler (role.yaml),
// leader election, and the self-signed certificates' rotator.
var managerNeeds = []access{
	{"list", "knapp.dev", "apps", "", "", ""},
	{"watch", "knapp.dev", "apps", "", "", ""},
	{"get", "knapp.dev", "apps", "", "team-b", "shop"},
	{"patch", "knapp.dev", "apps", "status", "team-b", "shop"},
	{"update", "knapp.dev", "apps", "status", "team-b", "shop"},
	{"create", "serving.knative.dev", "services", "", "team-b", ""},
	{"update", "serving.knative.dev", "services", "", "team-b", "shop"},
	{"watch", "serving.knative.dev", "revisions", "", "", ""},
	{"create", "networking.istio.io", "virtualservices", "", "team-b", ""},
	{"delete", "networking.istio.io", "virtualservices", "", "team-b", "shop-routes"},
	{"create", "argoproj.io", "workflows", "", "team-b", ""},
	{"patch", "argoproj.io", "workflows", "", "team-b", "shop-b1234abcd"},
	{"delete", "argoproj.io", "workflows", "", "team-b", "shop-b1234abcd"},
	{"get", "argoproj.io", "clusterworkflowtemplates", "", "", "knapp-build"},
	{"get", "argoproj.io", "workflowtemplates", "", "team-b", "custom-build"},
	{"create", "sources.knative.dev", "pingsources", "", "team-b", ""},
	{"delete", "sources.knative.dev", "pingsources", "", "team-b", "shop-nightly"},
	{"watch", "", "namespaces", "", "", ""},
	{"list", "", "configmaps", "", "knative-serving", ""},
	// The hook API's token and the build's registry Secret (metadata only),
	// in build namespaces only (the Role knapp-build-secrets).
	{"get", "", "secrets", "", buildNamespace, "shop-hook"},
	{"create", "events.k8s.io", "events", "", "team-b", ""},
	// Leader election in the release namespace.
	{"create", "coordination.k8s.io", "leases", "", installNamespace, ""},
	{"get", "coordination.k8s.io", "leases", "", installNamespace, "knapp.knapp.dev"},
	{"update", "coordination.k8s.io", "leases", "", installNamespace, "knapp.knapp.dev"},
	{"create", "", "events", "", installNamespace, ""},
	// cert-controller's rotator.
	{"list", "", "secrets", "", installNamespace, ""},
	{"watch", "", "secrets", "", installNamespace, ""},
	{"get", "", "secrets", "", installNamespace, "knapp-webhook-cert"},
	{"update", "", "secrets", "", installNamespace, "knapp-webhook-cert"},
	{"list", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", ""},
	{"watch", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", ""},
	{"update", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", "knapp-podlogs"},
	{"update", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", "knapp-app-defaulting"},
	{"update", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", "knapp-app-validation"},
}

// managerMustNot is what knapp never does and must not be able to.
var managerMustNot = []access{
	{"*", "*", "*", "", "", ""},
	// The App's spec and metadata belong to its owners (GitOps).
	{"update", "knapp.dev", "apps", "", "team-b", "shop"},
	{"patch", "knapp.dev", "apps", "", "team-b", "shop"},
	{"create", "knapp.dev", "apps", "", "team-b", ""},
	{"delete", "knapp.dev", "apps", "", "team-b", "shop"},
	// Secrets: only get by name in build namespaces; the certificate's alone.
	{"get", "", "secrets", "", "team-b", "shop-hook"},
	{"get", "", "secrets", "", "kube-system", "bootstrap-token-abcdef"},
	{"list", "", "secrets", "", buildNamespace, ""},
	{"list", "", "secrets", "", "team-b", ""},
	{"watch", "", "secrets", "", "", ""},
	{"update", "", "secrets", "", "team-b", "shop-hook"},
	{"update", "", "secrets", "", "default", "knapp-webhook-cert"},
	{"update", "", "secrets", "", installNamespace, "other"},
	{"patch", "", "secrets", "", installNamespace, "knapp-webhook-cert"},
	{"create", "", "secrets", "", installNamespace, ""},
	{"delete", "", "secrets", "", installNamespace, "knapp-webhook-cert"},
	// ConfigMaps: only Knative Serving's (the Role knapp-manager there).
	{"list", "", "configmaps", "", "team-b", ""},
	{"get", "", "configmaps", "", "kube-system", "kubeadm-config"},
	{"delete", "", "namespaces", "", "", "team-b"},
	{"create", "", "namespaces", "", "", ""},
	{"create", "", "pods", "", "team-b", ""},
	{"create", "", "pods", "", installNamespace, ""},
	{"create", "", "serviceaccounts", "token", installNamespace, "knapp"},
	{"delete", "serving.knative.dev", "services", "", "team-b", "shop"},
	{"create", "coordination.k8s.io", "leases", "", "kube-system", ""},
	{"update", "coordination.k8s.io", "leases", "", installNamespace, "other"},
	{"update", "coordination.k8s.io", "leases", "", "kube-system", "knapp.knapp.dev"},
	{"update", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", "istio-sidecar-injector"},
	{"update", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", "knapp-podlogs"},
	{"patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", "knapp-podlogs"},
	{"delete", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", "knapp-podlogs"},
	{"create", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", ""},
	{"update", "apiextensions.k8s.io", "customresourcedefinitions", "", "", "apps.knapp.dev"},
	{"create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", ""},
	{"escalate", "rbac.authorization.k8s.io", "clusterroles", "", "", "knapp-manager"},
	{"bind", "rbac.authorization.k8s.io", "clusterroles", "", "", "cluster-admin"},
	{"impersonate", "", "serviceaccounts", "", installNamespace, "knapp"},
}

// Argo's executor reports a step's outputs through WorkflowTaskResults.
var executorNeeds = []access{
	{"create", "argoproj.io", "workflowtaskresults", "", buildNamespace, ""},
	{"patch", "argoproj.io", "workflowtaskresults", "", buildNamespace, "shop-b1234abcd"},
}

var executorMustNot = []access{
	{"create", "argoproj.io", "workflowtaskresults", "", "default", ""},
	{"list", "argoproj.io", "workflowtaskresults", "", buildNamespace, ""},
	{"get", "", "secrets", "", buildNamespace, "shop-registry"},
	{"create", "", "pods", "", buildNamespace, ""},
	{"get", "argoproj.io", "workflows", "", buildNamespace, ""},
	{"list", "knapp.dev", "apps", "", buildNamespace, ""},
}

// checkAccess asks the apiserver, as the account, whether it may do each
// request, and wants allowed for all of them.
func checkAccess(t *testing.T, env *testenv.Env, a account, requests []access, allowed bool) {
	t.Helper()
	cs := asAccount(t, env, a)
	// RBAC must be what decides: an account without bindings may do none
	// of what the chart's may.
	if allowed {
		if can(t, asAccount(t, env, unboundAccount), requests[0]) {
			t.Fatalf("%s may %s without any binding: the apiserver does not enforce RBAC", unboundAccount.user(), requests[0])
		}
	}
	for _, req := range requests {
		if got := can(t, cs, req); got != allowed {
			t.Errorf("%s may %s: %v, want %v", a.user(), req, got, allowed)
		}
	}
}

func can(t *testing.T, cs kubernetes.Interface, a access) bool {
	t.Helper()
	review, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource, Namespace: a.namespace, Name: a.name,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("access review of %s: %v", a, err)
	}
	return review.Status.Allowed
}
