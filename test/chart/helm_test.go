package chart

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/kube"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"knapp.dev/knapp/test/testenv"
)

// helmLifecycle installs the chart over the applied objects with Helm's
// install action (adopting them), upgrades it, and uninstalls it, as an
// admin: the certificates and CA bundles knapp wrote survive install and
// upgrade (Helm's three-way merge leaves fields the chart never rendered
// alone), the CRD survives uninstall (crds.keep), the Secret does not.
func helmLifecycle(t *testing.T, env *testenv.Env) {
	ctx := context.Background()
	admin, err := env.AddUser(envtest.User{Name: "helm", Groups: []string{"system:masters"}}, env.Config)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := new(action.Configuration)
	if err := cfg.Init(kube.GetConfig(path, "", installNamespace), installNamespace, "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	vals := "builds: {namespaces: [" + buildNamespace + "]}"

	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace, install.TakeOwnership = releaseName, installNamespace, true
	if _, err := install.Run(loadChart(t), values(t, vals)); err != nil {
		t.Fatalf("helm install: %v", err)
	}
	checkCertificatesKept(t, env, "helm install")

	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = installNamespace
	if _, err := upgrade.Run(releaseName, loadChart(t), values(t, vals+"\nreplicaCount: 3")); err != nil {
		t.Fatalf("helm upgrade: %v", err)
	}
	checkCertificatesKept(t, env, "helm upgrade")
	cs := asAdmin(t, env)
	if d, err := cs.AppsV1().Deployments(installNamespace).Get(ctx, "knapp", metav1.GetOptions{}); err != nil || ptr.Deref(d.Spec.Replicas, 0) != 3 {
		t.Errorf("after helm upgrade to 3 replicas: %v, %v", d.Spec.Replicas, err)
	}

	if _, err := action.NewUninstall(cfg).Run(releaseName); err != nil {
		t.Fatalf("helm uninstall: %v", err)
	}
	if _, err := cs.CoreV1().Secrets(installNamespace).Get(ctx, "knapp-webhook-cert", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the certificate Secret after helm uninstall: %v, want it deleted", err)
	}
	if _, err := cs.RbacV1().ClusterRoles().Get(ctx, "knapp-manager", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ClusterRole knapp-manager after helm uninstall: %v, want it deleted", err)
	}
	crd := &unstructured.Unstructured{}
	crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "apps.knapp.dev"}, crd); err != nil {
		t.Errorf("the App CRD after helm uninstall: %v, want it kept", err)
	}
}

// checkCertificatesKept: the Secret and the three configurations' CA
// bundles still hold what knapp wrote (knappCalls).
func checkCertificatesKept(t *testing.T, env *testenv.Env, after string) {
	t.Helper()
	ctx := context.Background()
	cs := asAdmin(t, env)
	secret, err := cs.CoreV1().Secrets(installNamespace).Get(ctx, "knapp-webhook-cert", metav1.GetOptions{})
	if err != nil || !maps.EqualFunc(secret.Data, certificatesWritten(env), bytes.Equal) {
		t.Errorf("after %s the certificate Secret holds %d keys (%v), want knapp's %d", after, len(secret.Data), err, len(certificatesWritten(env)))
	}
	for _, wc := range webhookConfigurations {
		var bundles [][]byte
		if wc.mutating {
			c, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, wc.name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.Webhooks {
				bundles = append(bundles, w.ClientConfig.CABundle)
			}
		} else {
			c, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, wc.name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.Webhooks {
				bundles = append(bundles, w.ClientConfig.CABundle)
			}
		}
		for _, b := range bundles {
			if !bytes.Equal(b, env.Config.CAData) {
				t.Errorf("after %s %s has caBundle %q, want knapp's", after, wc.name, b)
			}
		}
	}
}
