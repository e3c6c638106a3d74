package integration

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// Setting an App back to an earlier image names the earlier revision again,
// and Knative reuses that Revision only if the Service's template, as
// stored, equals the Revision's spec (else: RevisionNameTaken). Knative
// sets some defaults only when an object is created (enableServiceLinks),
// so the template knapp writes on update must carry them itself; the
// Service here goes through Knative's real defaulting webhook.
func TestRevertedImageEqualsItsRevision(t *testing.T) {
	t.Parallel()
	app, first := readyApp(t, nil)
	key := client.ObjectKeyFromObject(app)
	revision := &servingv1.Revision{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: key.Namespace, Name: first.Spec.Template.Name}, revision); err != nil {
		t.Fatal(err)
	}
	firstImage := app.Spec.Image

	updateApp(t, key, func(a *v1alpha1.App) { a.Spec.Image = "registry.example.com/shop:2.0.0" })
	waitForService(t, key, func(s *servingv1.Service) error {
		if s.Spec.Template.Name == first.Spec.Template.Name {
			return errors.New("still the first template")
		}
		return nil
	})
	updateApp(t, key, func(a *v1alpha1.App) { a.Spec.Image = firstImage })
	reverted := waitForService(t, key, func(s *servingv1.Service) error {
		if s.Spec.Template.Name != first.Spec.Template.Name {
			return errors.New("not back at the first template")
		}
		return nil
	})
	if !equality.Semantic.DeepEqual(reverted.Spec.Template.Spec, revision.Spec) {
		t.Errorf("the reverted template differs from its Revision (Knative would refuse it as RevisionNameTaken):\n%s",
			cmp.Diff(revision.Spec, reverted.Spec.Template.Spec))
	}
}
