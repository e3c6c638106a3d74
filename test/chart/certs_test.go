package chart

import (
	"reflect"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

const certDir = "/etc/knapp/webhook-certs"

// TestSelfSignedCertificates: by default knapp makes its own certificates
// in an empty Secret of the release namespace that it may update, which the
// pods mount (cert-controller waits for the kubelet to write the files).
func TestSelfSignedCertificates(t *testing.T) {
	r := render(t, "")
	c := manager(t, r)
	wantArgs(t, c, []string{
		"--webhook-cert-dir=" + certDir,
		"--webhook-self-signed",
		"--webhook-secret=" + namespace + "/knapp-webhook-cert",
		"--webhook-service=knapp-webhook." + namespace + ".svc",
	}, []string{"--enable-webhooks"})
	checkCertVolume(t, r)

	var secret corev1.Secret
	decodeStrict(t, r.Get(t, "Secret", "knapp-webhook-cert", namespace), &secret)
	if len(secret.Data) > 0 || len(secret.StringData) > 0 {
		t.Errorf("the Secret renders data, which helm upgrade would then own and reset: %+v", secret)
	}
	if _, keep := secret.Annotations["helm.sh/resource-policy"]; keep {
		t.Error("the Secret is kept on uninstall; the chart deliberately lets it go with the release")
	}
	for _, kind := range []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"} {
		for _, o := range r.Kind(kind) {
			if len(o.GetAnnotations()) > 0 {
				t.Errorf("%s has annotations %v without cert-manager", o, o.GetAnnotations())
			}
		}
	}
}

// checkCertManager checks the cert-manager mode: a Certificate for the
// webhook Service into the Secret the pods mount, the CA injected from it,
// and knapp not making certificates itself.
func checkCertManager(t *testing.T, r rendered, issuerRef map[string]any) {
	t.Helper()
	c := manager(t, r)
	wantArgs(t, c, []string{"--webhook-cert-dir=" + certDir}, []string{"--webhook-self-signed", "--webhook-secret", "--webhook-service", "--enable-webhooks"})
	checkCertVolume(t, r)

	cert := r.Get(t, "Certificate", "knapp-webhook", namespace)
	want := map[string]any{
		"secretName": "knapp-webhook-cert",
		"dnsNames":   []any{"knapp-webhook." + namespace + ".svc", "knapp-webhook." + namespace + ".svc.cluster.local"},
		"issuerRef":  issuerRef,
	}
	if cert.GetAPIVersion() != "cert-manager.io/v1" || !reflect.DeepEqual(cert.Object["spec"], want) {
		t.Errorf("Certificate %s spec %v, want %v", cert.GetAPIVersion(), cert.Object["spec"], want)
	}
	if issuer, ok := r.Find("Issuer", "knapp-selfsigned", namespace); ok {
		if !reflect.DeepEqual(issuer.Object["spec"], map[string]any{"selfSigned": map[string]any{}}) {
			t.Errorf("Issuer spec %v", issuer.Object["spec"])
		}
	}
	for _, kind := range []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"} {
		for _, o := range r.Kind(kind) {
			if got := o.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != namespace+"/knapp-webhook" {
				t.Errorf("%s injects the CA from %q", o, got)
			}
		}
	}
	if secrets := r.Kind("Secret"); len(secrets) > 0 {
		t.Errorf("cert-manager makes the Secret, the chart renders %v", secrets)
	}
}

// checkCertVolume checks that the certificates are the Secret
// knapp-webhook-cert, mounted read-only at --webhook-cert-dir.
func checkCertVolume(t *testing.T, r rendered) {
	t.Helper()
	var d appsv1.Deployment
	decodeStrict(t, r.Get(t, "Deployment", "knapp"), &d)
	pod := d.Spec.Template.Spec
	i := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Secret != nil && v.Secret.SecretName == "knapp-webhook-cert" })
	if i < 0 {
		t.Fatalf("no Secret volume of knapp-webhook-cert in %+v", pod.Volumes)
	}
	name := pod.Volumes[i].Name
	if !slices.ContainsFunc(pod.Containers[0].VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.Name == name && m.MountPath == certDir && m.ReadOnly
	}) {
		t.Errorf("volume %s is not mounted read-only at %s: %+v", name, certDir, pod.Containers[0].VolumeMounts)
	}
}
