package app

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	"knapp.dev/knapp/pkg/resources/names"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// getService reads the App's Knative Service: nil when there is none, and
// errNotOwned (reported in ServiceReady) when one of that name is not the App's.
func (r *Reconciler) getService(ctx context.Context, app *v1alpha1.App) (*servingv1.Service, error) {
	existing := &servingv1.Service{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: app.Namespace, Name: names.KnativeService(app)}, existing)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Knative Service %s: %w", names.KnativeService(app), err)
	case !metav1.IsControlledBy(existing, app):
		app.Status.MarkNotOwned(v1alpha1.ConditionServiceReady, "Knative Service", client.ObjectKeyFromObject(existing),
			"Delete or rename it, or rename the App.")
		return nil, errNotOwned
	}
	return existing, nil
}

// errNotOwned stops a reconcile whose Knative Service belongs to someone else.
var errNotOwned = errors.New("the Knative Service is not the App's")

// reconcileService makes the App's Knative Service match the App and sets
// the ServiceReady condition. It returns an error only for what a retry can
// fix (the API refused a read or write); a spec that cannot work is
// reported in status and waits for the App to change.
func (r *Reconciler) reconcileService(ctx context.Context, app *v1alpha1.App, d *desired, existing *servingv1.Service) error {
	want := resources.MakeKnativeService(app, d.template, d.plan, resources.ServiceRouting{
		HoldsHost:    d.holdsHost,
		ClusterLocal: d.routed() && d.routesInPlace,
	})
	knativeCfg, err := knativeconfig.Load(ctx, r.Client, r.Platform.KnativeServingNamespace)
	if err != nil {
		return r.markServiceError(app, err)
	}
	defaulted := resources.KnativeDefaults(ctx, knativeCfg, want)

	if existing == nil {
		if err := resources.KnativeValidate(ctx, knativeCfg, defaulted); err != nil {
			return r.markServiceError(app, err)
		}
		return r.createService(ctx, app, want)
	}
	// Knative's validation is the costly part of a reconcile; what is
	// already stored passed it, so only a Service about to be written needs it.
	if serviceNeedsUpdate(existing, defaulted) {
		if err := resources.KnativeValidate(ctx, knativeCfg, defaulted); err != nil {
			return r.markServiceError(app, err)
		}
		// The defaulted Service, not want: Knative sets some defaults only
		// at create (enableServiceLinks), so its Revisions carry them; a
		// template written without them would never again equal the
		// Revision of its name, and returning to that revision would be
		// refused as RevisionNameTaken.
		updated := applyDesiredService(existing, defaulted)
		if err := r.Client.Update(ctx, updated); err != nil {
			if apierrors.IsConflict(err) {
				// Someone else wrote first; requeue and compare again.
				return err
			}
			return r.markServiceError(app, writeError("updating", updated.Name, err))
		}
		r.Recorder.Eventf(app, updated, corev1.EventTypeNormal, eventUpdated, actionUpdateChild,
			"Updated Knative Service %s (revision %s)", updated.Name, updated.Spec.Template.Name)
		existing = updated
	}
	propagateServiceStatus(&app.Status, existing)
	return nil
}

func (r *Reconciler) createService(ctx context.Context, app *v1alpha1.App, want *servingv1.Service) error {
	if err := r.Client.Create(ctx, want); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// The cache had not seen it yet; requeue and read it again.
			return err
		}
		return r.markServiceError(app, writeError("creating", want.Name, err))
	}
	log.FromContext(ctx).Info("created Knative Service", "service", want.Name, "revision", want.Spec.Template.Name)
	r.Recorder.Eventf(app, want, corev1.EventTypeNormal, eventCreated, actionCreateChild,
		"Created Knative Service %s (revision %s)", want.Name, want.Spec.Template.Name)
	propagateServiceStatus(&app.Status, want)
	return nil
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

// markServiceError reports err in ServiceReady. A spec error, an unknown
// environment or a bad Knative config map waits for a change (nil: no
// retry); an API error is returned for a retry with backoff.
func (r *Reconciler) markServiceError(app *v1alpha1.App, err error) error {
	var specErr *resources.SpecError
	var envErr *platform.UnknownEnvironmentError
	var knativeCfgErr *knativeconfig.ConfigError
	switch {
	case errors.As(err, &specErr) && specErr.Reason == v1alpha1.ReasonWaitingForBuild:
		// The first build is on its way: progress, not failure (a failed
		// build makes BuildSucceeded False).
		app.Status.MarkServiceUnknown(specErr.Reason, specErr.Error())
		return nil
	case errors.As(err, &specErr):
		app.Status.MarkServiceNotReady(specErr.Reason, specErr.Error())
		return nil
	case errors.As(err, &envErr):
		app.Status.MarkServiceNotReady(v1alpha1.ReasonUnknownEnvironment, envErr.Error())
		return nil
	case errors.As(err, &knativeCfgErr):
		app.Status.MarkServiceNotReady(v1alpha1.ReasonKnativeConfigInvalid,
			"Knative Serving's configuration does not parse, so knapp cannot default the Service as Knative would: "+knativeCfgErr.Error())
		return nil
	default:
		// The condition change is the event (recordConditionChanges).
		app.Status.MarkServiceNotReady(v1alpha1.ReasonAPIError, err.Error())
		return err
	}
}
