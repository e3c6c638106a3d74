package chart

import (
	"context"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/test/testenv"
)

var webhookConfigurations = []struct {
	mutating bool
	name     string
}{{true, "knapp-podlogs"}, {true, "knapp-app-defaulting"}, {false, "knapp-app-validation"}}

// certificatesWritten is what knappCalls writes as the rotator would; the
// Helm steps check that it survives.
func certificatesWritten(env *testenv.Env) map[string][]byte {
	return map[string][]byte{"ca.crt": env.Config.CAData, "tls.crt": env.Config.CAData, "tls.key": []byte("key")}
}

// knappCalls makes, as knapp's ServiceAccount, the calls its leader
// election and certificate rotator make (cert-controller fills the Secret
// and updates the configurations' caBundle), and some it must not.
func knappCalls(t *testing.T, env *testenv.Env) {
	ctx := context.Background()
	cs := asAccount(t, env, managerAccount)

	secrets := cs.CoreV1().Secrets(installNamespace)
	if _, err := secrets.List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("listing Secrets (the rotator's cache): %v", err)
	}
	secret, err := secrets.Get(ctx, "knapp-webhook-cert", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret.Data = certificatesWritten(env)
	if _, err := secrets.Update(ctx, secret, metav1.UpdateOptions{}); err != nil {
		t.Errorf("filling the certificate Secret: %v", err)
	}

	admission := cs.AdmissionregistrationV1()
	for _, wc := range webhookConfigurations {
		var err error
		if wc.mutating {
			var c, _ = admission.MutatingWebhookConfigurations().Get(ctx, wc.name, metav1.GetOptions{})
			for i := range c.Webhooks {
				c.Webhooks[i].ClientConfig.CABundle = env.Config.CAData
			}
			_, err = admission.MutatingWebhookConfigurations().Update(ctx, c, metav1.UpdateOptions{})
		} else {
			var c, _ = admission.ValidatingWebhookConfigurations().Get(ctx, wc.name, metav1.GetOptions{})
			for i := range c.Webhooks {
				c.Webhooks[i].ClientConfig.CABundle = env.Config.CAData
			}
			_, err = admission.ValidatingWebhookConfigurations().Update(ctx, c, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Errorf("injecting the CA into %s: %v", wc.name, err)
		}
	}

	leases := cs.CoordinationV1().Leases(installNamespace)
	lease, err := leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "knapp.knapp.dev"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("leader election: %v", err)
	}
	lease.Spec.HolderIdentity = ptr.To("knapp-0")
	if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Errorf("leader election: %v", err)
	}
	if _, err := leases.Get(ctx, lease.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("leader election: %v", err)
	}

	forbidden := map[string]error{}
	_, forbidden["listing Secrets of an App namespace"] = cs.CoreV1().Secrets(buildNamespace).List(ctx, metav1.ListOptions{})
	_, forbidden["creating a pod"] = cs.CoreV1().Pods(buildNamespace).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
	}, metav1.CreateOptions{})
	forbidden["deleting a namespace"] = cs.CoreV1().Namespaces().Delete(ctx, buildNamespace, metav1.DeleteOptions{})
	// Authorization comes before the lookup, so the App need not exist.
	forbidden["updating an App"] = cs.RESTClient().Put().AbsPath("/apis/knapp.dev/v1alpha1/namespaces", buildNamespace, "apps", "shop").
		Body([]byte(`{"apiVersion":"knapp.dev/v1alpha1","kind":"App","metadata":{"name":"shop","namespace":"` + buildNamespace + `"}}`)).
		Do(ctx).Error()
	for what, err := range forbidden {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s as knapp: %v, want Forbidden", what, err)
		}
	}
}
