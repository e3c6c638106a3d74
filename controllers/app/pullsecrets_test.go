package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"knapp.dev/knapp/api/v1alpha1"
)

func pullSecretApp(names ...string) *v1alpha1.App {
	app := &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: "team-d", Name: "payments"}}
	for _, n := range names {
		app.Spec.Template.ImagePullSecrets = append(app.Spec.Template.ImagePullSecrets, corev1.LocalObjectReference{Name: n})
	}
	return app
}

func pullSecretReconciler(t *testing.T, forbidden bool, secrets ...string) *Reconciler {
	t.Helper()
	s := runtime.NewScheme()
	utilruntime.Must(corev1.AddToScheme(s))
	b := fake.NewClientBuilder().WithScheme(s)
	for _, n := range secrets {
		b = b.WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-d", Name: n}, Type: corev1.SecretTypeDockerConfigJson})
	}
	if forbidden {
		b = b.WithInterceptorFuncs(interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "registry-pull", errors.New("RBAC: no get on secrets"))
		}})
	}
	c := b.Build()
	return &Reconciler{Client: c, APIReader: c}
}

func TestPullSecretsAreChecked(t *testing.T) {
	ctx := context.Background()
	readyOutcome := ready("The Knative Service is ready.")

	// All there: Knative's view stands.
	r := pullSecretReconciler(t, false, "registry-pull", "mirror-pull")
	if o, err := r.withPullSecrets(ctx, pullSecretApp("registry-pull", "mirror-pull"), readyOutcome); err != nil || o != readyOutcome {
		t.Errorf("both Secrets exist: %+v, %v", o, err)
	}

	// One missing: ServiceReady False naming it and its index, retried.
	_, err := r.withPullSecrets(ctx, pullSecretApp("registry-pull", "typo-pull"), readyOutcome)
	var se *stepError
	if !errors.As(err, &se) || se.reason != v1alpha1.ReasonPullSecretNotFound || !se.retry ||
		!strings.Contains(se.message, "spec.template.imagePullSecrets[1] typo-pull") || strings.Contains(se.message, "registry-pull") {
		t.Fatalf("a missing pull Secret: %v, want PullSecretNotFound naming imagePullSecrets[1] typo-pull alone", err)
	}

	// Not readable there (not a build namespace): named only when Knative
	// says the image is the trouble.
	r = pullSecretReconciler(t, true)
	app := pullSecretApp("registry-pull")
	if o, err := r.withPullSecrets(ctx, app, readyOutcome); err != nil || o != readyOutcome {
		t.Errorf("unreadable and ready: %+v, %v", o, err)
	}
	failing := outcome{status: metav1.ConditionFalse, reason: "RevisionFailed",
		message: `Knative Service payments: Revision "payments-1" failed with message: Unable to fetch image "registry.example.com/team-d/payments:7.3.0": UNAUTHORIZED.`}
	o, err := r.withPullSecrets(ctx, app, failing)
	if err != nil || o.status != metav1.ConditionFalse || o.reason != "RevisionFailed" ||
		!strings.HasPrefix(o.message, failing.message) || !strings.Contains(o.message, "spec.template.imagePullSecrets registry-pull") {
		t.Errorf("unreadable and failing on the image: %+v, %v", o, err)
	}
	other := outcome{status: metav1.ConditionFalse, reason: "RevisionFailed", message: "Knative Service payments: the container exited"}
	if o, _ := r.withPullSecrets(ctx, app, other); o != other {
		t.Errorf("a failure not about the image got the hint: %+v", o)
	}

	// No pull Secrets: nothing read, nothing added.
	if o, err := r.withPullSecrets(ctx, pullSecretApp(), failing); err != nil || o != failing {
		t.Errorf("without pull Secrets: %+v, %v", o, err)
	}
}
