package app

import (
	"context"

	"k8s.io/apimachinery/pkg/util/sets"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// desired is what an App asks for, computed once per reconcile by the pure
// builders and shared by the steps that write.
type desired struct {
	// template is the revision template; its name is its content hash.
	template servingv1.RevisionTemplateSpec
	// plan is who takes traffic.
	plan resources.ReleasePlan
}

// computeDesired runs the pure builders on the App, its environment, the
// built image and the revisions that exist. An error here leaves every
// child untouched.
func (r *Reconciler) computeDesired(_ context.Context, s *state) (outcome, error) {
	o := &s.observed
	if o.namespaceErr != nil {
		return outcome{}, o.namespaceErr
	}
	env, err := r.Platform.EnvironmentFor(o.namespace.Name, o.namespace.Labels)
	if err != nil {
		return outcome{}, err
	}
	if o.revisionsErr != nil {
		return outcome{}, o.revisionsErr
	}
	tmpl, err := resources.MakeRevisionTemplate(s.app, env, s.builtImage)
	if err != nil {
		return outcome{}, err
	}
	// Where each autoscaling value comes from: the App, or its environment.
	_, s.app.Status.Scaling = v1alpha1.EffectiveScaling(s.app.Spec.Scaling, env.Scaling, env.Name)
	known := sets.New(tmpl.Name)
	for i := range o.revisions {
		known.Insert(o.revisions[i].Name)
	}
	plan, err := resources.PlanRelease(s.app.Spec.Release, known)
	if err != nil {
		return outcome{}, err
	}
	s.desired = &desired{template: tmpl, plan: plan}
	return outcome{}, nil
}
