package app

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// checkServiceOwner stops the reconcile when the Knative Service of the
// App's name is someone else's (reported in ServiceReady): no route or
// schedule may point at it.
func checkServiceOwner(_ context.Context, s *state) (outcome, error) {
	o := &s.observed
	switch {
	case o.serviceErr != nil:
		return outcome{}, o.serviceErr
	case o.service != nil && !metav1.IsControlledBy(o.service, s.app):
		return outcome{}, notOwned("Knative Service", client.ObjectKeyFromObject(o.service), "Delete or rename it, or rename the App.")
	}
	return outcome{}, nil
}

// reconcileService makes the App's Knative Service match the App and
// reports Knative's view of it, and what it knows of the image pull
// Secrets. A spec that cannot work is reported and waits for the App to
// change; what a retry can fix (the API refused a read or write) is
// retried.
func (r *Reconciler) reconcileService(ctx context.Context, s *state) (outcome, error) {
	o, err := r.applyService(ctx, s)
	if err != nil {
		return o, err
	}
	return r.withPullSecrets(ctx, s.app, o)
}

// applyService writes the Knative Service the App asks for.
func (r *Reconciler) applyService(ctx context.Context, s *state) (outcome, error) {
	app, existing := s.app, s.observed.service
	want := resources.MakeKnativeService(app, s.desired.template, s.desired.plan, resources.ServiceRouting{
		HoldsHost:    s.holdsHost,
		ClusterLocal: s.routed() && s.routesInPlace,
	})
	knativeCfg, err := knativeconfig.Load(ctx, r.Client, r.Platform.KnativeServingNamespace)
	if err != nil {
		return outcome{}, err
	}
	defaulted := resources.KnativeDefaults(ctx, knativeCfg, want)

	if existing == nil {
		if err := resources.KnativeValidate(ctx, knativeCfg, app, defaulted); err != nil {
			return outcome{}, err
		}
		return r.createService(ctx, s, want)
	}
	// Knative's validation is the costly part of a reconcile; what is
	// already stored passed it, so only a Service about to be written needs it.
	if resources.KnativeServiceNeedsUpdate(existing, defaulted) {
		if err := resources.KnativeValidate(ctx, knativeCfg, app, defaulted); err != nil {
			return outcome{}, err
		}
		// The defaulted Service, not want: Knative sets some defaults only
		// at create (enableServiceLinks), so its Revisions carry them; a
		// template written without them would never again equal the
		// Revision of its name, and returning to that revision would be
		// refused as RevisionNameTaken.
		updated := resources.UpdateKnativeService(existing, defaulted)
		if err := r.Client.Update(ctx, updated); err != nil {
			if apierrors.IsConflict(err) {
				// Someone else wrote first; requeue and compare again.
				return outcome{}, requeue(err)
			}
			return outcome{}, writeError("updating", updated.Name, err)
		}
		r.Recorder.Eventf(app, updated, corev1.EventTypeNormal, eventUpdated, actionUpdateChild,
			"Updated Knative Service %s (revision %s)", updated.Name, updated.Spec.Template.Name)
		existing = updated
	}
	return reportService(s, existing), nil
}

func (r *Reconciler) createService(ctx context.Context, s *state, want *servingv1.Service) (outcome, error) {
	if err := r.Client.Create(ctx, want); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// The cache had not seen it yet; requeue and read it again.
			return outcome{}, requeue(err)
		}
		return outcome{}, writeError("creating", want.Name, err)
	}
	log.FromContext(ctx).Info("created Knative Service", "service", want.Name, "revision", want.Spec.Template.Name)
	r.Recorder.Eventf(s.app, want, corev1.EventTypeNormal, eventCreated, actionCreateChild,
		"Created Knative Service %s (revision %s)", want.Name, want.Spec.Template.Name)
	return reportService(s, want), nil
}

// reportService copies what Knative reports about the Service into the
// App's status and returns ServiceReady's outcome.
func reportService(s *state, ksvc *servingv1.Service) outcome {
	s.service = ksvc
	copyServiceStatus(&s.app.Status, ksvc)
	return serviceCondition(ksvc)
}

// writeError tells a refusal of the Service's content (by the apiserver's
// schema or Knative's webhook), which a retry cannot fix, from a failure to
// write, which it can.
func writeError(verb, name string, err error) error {
	if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
		return &resources.SpecError{Reason: v1alpha1.ReasonInvalidSpec, Field: "spec",
			Detail: fmt.Sprintf("the API server refused %s Knative Service %s: %v", verb, name, err)}
	}
	return fmt.Errorf("%s Knative Service %s: %w", verb, name, err)
}
