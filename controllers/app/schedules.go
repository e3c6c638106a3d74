package app

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// reconcileSchedules makes one PingSource per spec.schedules entry, sinking
// to the App's Knative Service, and deletes those of removed entries.
func (r *Reconciler) reconcileSchedules(ctx context.Context, s *state) (outcome, error) {
	app := s.app
	hadSchedules := app.Status.GetCondition(v1alpha1.ConditionSchedulesReady) != nil
	if len(app.Spec.Schedules) == 0 && !hadSchedules {
		return cleared, nil
	}
	if errs := v1alpha1.ValidateSchedules(app.Spec.Schedules, field.NewPath("spec", "schedules")); len(errs) > 0 {
		return outcome{}, stalled(v1alpha1.ReasonInvalidSpec, errs.ToAggregate().Error())
	}
	existing := &resources.PingSourceList{}
	err := r.Client.List(ctx, existing, client.InNamespace(app.Namespace), client.MatchingLabels{v1alpha1.LabelApp: app.Name})
	switch {
	case meta.IsNoMatchError(err):
		if len(app.Spec.Schedules) == 0 {
			return cleared, nil
		}
		return outcome{}, stalled(v1alpha1.ReasonEventingNotInstalled,
			"spec.schedules needs Knative Eventing's PingSource (sources.knative.dev/v1), which this cluster does not serve: install Knative Eventing, or remove spec.schedules.")
	case err != nil:
		return outcome{}, fmt.Errorf("listing PingSources of %s: %w", app.Name, err)
	}

	owned := map[string]*resources.PingSource{}
	for i := range existing.Items {
		if metav1.IsControlledBy(&existing.Items[i], app) {
			owned[existing.Items[i].Name] = &existing.Items[i]
		}
	}
	var errs []error
	var foreign *stepError
	for _, sched := range app.Spec.Schedules {
		want := resources.MakePingSource(app, sched)
		switch err := r.applyPingSource(ctx, app, want, owned[want.Name]); {
		case errors.As(err, &foreign):
		case err != nil:
			errs = append(errs, err)
		}
		delete(owned, want.Name)
	}
	for _, stale := range owned {
		if err := r.Client.Delete(ctx, stale); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting PingSource %s: %w", stale.Name, err))
			continue
		}
		r.Recorder.Eventf(app, stale, corev1.EventTypeNormal, eventDeleted, actionDeleteChild,
			"Deleted PingSource %s: its schedule was removed", stale.Name)
	}
	switch err := errors.Join(errs...); {
	case foreign != nil && err != nil:
		// The condition names the foreign PingSource; the other writes
		// are retried.
		return outcome{}, errors.Join(foreign, requeue(err))
	case foreign != nil:
		return outcome{}, foreign
	case err != nil:
		return outcome{}, err
	}
	if len(app.Spec.Schedules) == 0 {
		return cleared, nil
	}
	return ready(fmt.Sprintf(
		"%d PingSource(s) send the schedules' events to Knative Service %s.", len(app.Spec.Schedules), app.Name)), nil
}

// applyPingSource creates want, or updates the App's own one when its spec
// or labels drifted; a PingSource of that name that is not the App's is
// refused (two Apps' names can meet: a-b with schedule c, a with b-c).
func (r *Reconciler) applyPingSource(ctx context.Context, app *v1alpha1.App, want, have *resources.PingSource) error {
	if have == nil {
		err := r.Client.Create(ctx, want)
		if apierrors.IsAlreadyExists(err) {
			return notOwned("PingSource", client.ObjectKeyFromObject(want), "Rename the schedule, or remove that PingSource.")
		}
		if err != nil {
			return fmt.Errorf("creating PingSource %s: %w", want.Name, err)
		}
		r.Recorder.Eventf(app, want, corev1.EventTypeNormal, eventCreated, actionCreateChild,
			"Created PingSource %s (%s %s)", want.Name, want.Spec.Schedule, want.Spec.Timezone)
		return nil
	}
	if equality.Semantic.DeepEqual(have.Spec, want.Spec) && resources.OwnedMetadataEqual(have.Labels, want.Labels, resources.PingSourceOwnedLabelKeys) {
		return nil
	}
	updated := have.DeepCopy()
	updated.Spec = want.Spec
	updated.Labels = resources.MergeOwned(updated.Labels, want.Labels, resources.PingSourceOwnedLabelKeys)
	if err := r.Client.Update(ctx, updated); err != nil {
		return fmt.Errorf("updating PingSource %s: %w", want.Name, err)
	}
	r.Recorder.Eventf(app, updated, corev1.EventTypeNormal, eventUpdated, actionUpdateChild,
		"Updated PingSource %s (%s %s)", updated.Name, updated.Spec.Schedule, updated.Spec.Timezone)
	return nil
}
