package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// A Knative config map that does not parse is reported on the Apps, which
// recover when it is fixed. Not parallel: every App reads Knative's
// configuration, so this runs (and restores it) before the parallel tests.
func TestBadKnativeConfigIsReported(t *testing.T) {
	ctx := context.Background()
	knativeNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "knative-serving"}}
	if err := k8s.Create(ctx, knativeNS); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "knative-serving", Name: "config-autoscaler"},
		Data:       map[string]string{"max-scale-limit": "ten"},
	}
	create(t, cm)
	t.Cleanup(func() { _ = k8s.Delete(ctx, cm) })

	app := newApp(newNamespace(t, nil), "shop")
	create(t, app)
	key := client.ObjectKeyFromObject(app)
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonKnativeConfigInvalid))
	if msg := got.Status.GetCondition(v1alpha1.ConditionReady).Message; !contains(msg, "knative-serving/config-autoscaler") {
		t.Errorf("message %q should name the config map", msg)
	}

	if err := k8s.Delete(ctx, cm); err != nil {
		t.Fatal(err)
	}
	waitForService(t, key, anyService)
	waitForApp(t, key, conditionIs(v1alpha1.ConditionServiceReady, metav1.ConditionUnknown, v1alpha1.ReasonDeploying))
}
