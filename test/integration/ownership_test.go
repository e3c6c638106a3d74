package integration

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// A Knative Service of the App's name that knapp does not own is refused,
// never adopted or changed; when it goes, the App takes the name.
func TestForeignServiceIsNotAdopted(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	foreign := &servingv1.Service{}
	foreign.Name, foreign.Namespace = "shop", ns
	foreign.Spec.Template.Spec.Containers = []corev1.Container{{Image: "registry.example.com/someone/else:1"}}
	create(t, foreign)
	foreignKey := client.ObjectKeyFromObject(foreign)
	if err := k8s.Get(context.Background(), foreignKey, foreign); err != nil {
		t.Fatal(err)
	}

	app := newApp(ns, "shop")
	create(t, app)
	key := client.ObjectKeyFromObject(app)
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned))
	if msg := got.Status.GetCondition(v1alpha1.ConditionServiceReady).Message; !contains(msg, "shop", ns, "does not belong") {
		t.Errorf("message %q", msg)
	}
	after := &servingv1.Service{}
	if err := k8s.Get(context.Background(), foreignKey, after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != foreign.ResourceVersion || len(after.OwnerReferences) != 0 {
		t.Errorf("the foreign Service was written: resourceVersion %s to %s, owners %v", foreign.ResourceVersion, after.ResourceVersion, after.OwnerReferences)
	}

	if err := k8s.Delete(context.Background(), after); err != nil {
		t.Fatal(err)
	}
	// envtest runs no garbage collector, and a Service without finalizers
	// goes at once; the App must take the name then.
	waitForService(t, key, func(s *servingv1.Service) error {
		if !metav1.IsControlledBy(s, app) {
			return errors.New("the Service is not the App's yet")
		}
		return nil
	})
	waitForApp(t, key, conditionIs(v1alpha1.ConditionServiceReady, metav1.ConditionUnknown, v1alpha1.ReasonDeploying))
}
