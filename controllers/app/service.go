package app

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app/resources"
	"knapp.dev/knapp/controllers/app/resources/names"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// reconcileService makes the App's Knative Service match the App and sets
// the ServiceReady condition. It returns an error only for what a retry can
// fix (the API refused a read or write); a spec that cannot work is
// reported in status and waits for the App to change.
func (r *Reconciler) reconcileService(ctx context.Context, app *v1alpha1.App) error {
	inputs, err := r.serviceInputs(ctx, app)
	if err != nil {
		return r.markServiceError(app, err)
	}
	desired, err := resources.MakeKnativeService(app, inputs)
	if err != nil {
		return r.markServiceError(app, err)
	}
	knativeCfg, err := knativeconfig.Load(ctx, r.Client, r.Platform.KnativeServingNamespace)
	if err != nil {
		return r.markServiceError(app, err)
	}
	defaulted := resources.KnativeDefaults(ctx, knativeCfg, desired)

	existing := &servingv1.Service{}
	err = r.Client.Get(ctx, types.NamespacedName{Namespace: app.Namespace, Name: names.KnativeService(app)}, existing)
	switch {
	case apierrors.IsNotFound(err):
		if err := resources.KnativeValidate(ctx, knativeCfg, defaulted); err != nil {
			return r.markServiceError(app, err)
		}
		return r.createService(ctx, app, desired)
	case err != nil:
		return r.markServiceError(app, fmt.Errorf("reading Knative Service %s: %w", desired.Name, err))
	case !metav1.IsControlledBy(existing, app):
		app.Status.MarkServiceNotReady(v1alpha1.ReasonNotOwned, fmt.Sprintf(
			"A Knative Service named %s already exists in namespace %s and does not belong to this App; knapp will not take it over. Delete or rename it, or rename the App.",
			existing.Name, existing.Namespace))
		return nil
	}

	// Knative's validation is the costly part of a reconcile; what is
	// already stored passed it, so only a Service about to be written needs it.
	if serviceNeedsUpdate(existing, defaulted) {
		if err := resources.KnativeValidate(ctx, knativeCfg, defaulted); err != nil {
			return r.markServiceError(app, err)
		}
		updated := applyDesiredService(existing, desired)
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

// serviceInputs reads what the Knative Service depends on besides the App.
func (r *Reconciler) serviceInputs(ctx context.Context, app *v1alpha1.App) (resources.ServiceInputs, error) {
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, types.NamespacedName{Name: app.Namespace}, ns); err != nil {
		return resources.ServiceInputs{}, fmt.Errorf("reading namespace %s: %w", app.Namespace, err)
	}
	env, err := r.Platform.EnvironmentFor(ns.Name, ns.Labels)
	if err != nil {
		return resources.ServiceInputs{}, err
	}
	revisions := &servingv1.RevisionList{}
	if err := r.Client.List(ctx, revisions, client.InNamespace(app.Namespace),
		client.MatchingLabels{serving.ServiceLabelKey: names.KnativeService(app), v1alpha1.LabelApp: app.Name}); err != nil {
		return resources.ServiceInputs{}, fmt.Errorf("listing revisions of %s: %w", names.KnativeService(app), err)
	}
	known := sets.New[string]()
	for i := range revisions.Items {
		known.Insert(revisions.Items[i].Name)
	}
	return resources.ServiceInputs{Environment: env, Revisions: known}, nil
}

func (r *Reconciler) createService(ctx context.Context, app *v1alpha1.App, desired *servingv1.Service) error {
	if err := r.Client.Create(ctx, desired); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// The cache had not seen it yet; requeue and read it again.
			return err
		}
		return r.markServiceError(app, writeError("creating", desired.Name, err))
	}
	log.FromContext(ctx).Info("created Knative Service", "service", desired.Name, "revision", desired.Spec.Template.Name)
	r.Recorder.Eventf(app, desired, corev1.EventTypeNormal, eventCreated, actionCreateChild,
		"Created Knative Service %s (revision %s)", desired.Name, desired.Spec.Template.Name)
	propagateServiceStatus(&app.Status, desired)
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
