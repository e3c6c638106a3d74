package app

import (
	"errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/knativeconfig"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

// outcome is what a step that succeeded reports in its condition: True
// when the part is as asked, Unknown while it is on its way. A zero
// outcome (cleared) removes the condition: the App does not ask for the
// part.
type outcome struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

// cleared is the outcome of a part the App does not ask for.
var cleared = outcome{}

func ready(message string) outcome {
	return outcome{status: metav1.ConditionTrue, reason: v1alpha1.ReasonReady, message: message}
}

func progressing(reason, message string) outcome {
	return outcome{status: metav1.ConditionUnknown, reason: reason, message: message}
}

// stepError is a step's failure with the condition it reports. A stalled
// one waits for the App, or an object knapp watches, to change; one that
// retries is returned for a retry with backoff (nothing wakes knapp when,
// say, a build template appears).
type stepError struct {
	status  metav1.ConditionStatus
	reason  string
	message string
	retry   bool
}

func (e *stepError) Error() string { return e.message }

// stalled is a failure only a change can fix.
func stalled(reason, message string) error {
	return &stepError{status: metav1.ConditionFalse, reason: reason, message: message}
}

// retryLater is a failure knapp retries with backoff.
func retryLater(reason, message string) error {
	return &stepError{status: metav1.ConditionFalse, reason: reason, message: message, retry: true}
}

// notOwned: a child of the name the App's would have exists and is
// someone else's; knapp never takes it over. remedy says what to do.
func notOwned(kind string, key types.NamespacedName, remedy string) error {
	return stalled(v1alpha1.ReasonNotOwned, v1alpha1.NotOwnedMessage(kind, key, remedy))
}

// outcomeOf is the outcome a lifecycle Mark* recorded already, for the
// parts whose Mark* also writes status fields (the domain's).
func outcomeOf(c *metav1.Condition) outcome {
	return outcome{status: c.Status, reason: c.Reason, message: c.Message}
}

// requeueError asks for another reconcile without changing the condition:
// someone else wrote first, or the cache has not caught up yet.
type requeueError struct{ err error }

func (e *requeueError) Error() string { return e.err.Error() }
func (e *requeueError) Unwrap() error { return e.err }

func requeue(err error) error {
	if err == nil {
		return nil
	}
	return &requeueError{err: err}
}

// report is the one place a step's result becomes its condition. Parts of
// err made by requeue change no condition and are returned for a retry;
// the rest of err, if any, decides the condition, else the outcome does
// (a zero outcome alongside a requeue leaves the condition as it is). It
// returns the errors to retry with backoff, nil when the step waits for a
// change.
func report(status *v1alpha1.AppStatus, conditionType string, o outcome, err error) error {
	failure, retry := splitRequeue(err)
	switch {
	case failure != nil:
		if r := markFailure(status, conditionType, failure); r != nil {
			retry = append(retry, r)
		}
	case o != cleared:
		status.MarkCondition(conditionType, o.status, o.reason, o.message)
	case len(retry) == 0:
		status.ClearCondition(conditionType)
	}
	return errors.Join(retry...)
}

// splitRequeue separates the requeue errors of err (one, or joined) from
// the failure the condition reports.
func splitRequeue(err error) (failure error, retry []error) {
	if err == nil {
		return nil, nil
	}
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	var failures []error
	for _, e := range errs {
		var rq *requeueError
		if errors.As(e, &rq) {
			retry = append(retry, e)
		} else {
			failures = append(failures, e)
		}
	}
	return errors.Join(failures...), retry
}

// markFailure records err in the condition, by its type, and returns it
// when a retry can fix it.
func markFailure(status *v1alpha1.AppStatus, conditionType string, err error) error {
	var (
		se      *stepError
		specErr *resources.SpecError
		envErr  *platform.UnknownEnvironmentError
		cfgErr  *knativeconfig.ConfigError
	)
	switch {
	case errors.As(err, &se):
		status.MarkCondition(conditionType, se.status, se.reason, se.message)
		if se.retry {
			return err
		}
		return nil
	case errors.As(err, &specErr) && specErr.Reason == v1alpha1.ReasonWaitingForBuild:
		// The first build is on its way: progress, not failure (a failed
		// build makes BuildSucceeded False).
		status.MarkCondition(conditionType, metav1.ConditionUnknown, specErr.Reason, specErr.Error())
		return nil
	case errors.As(err, &specErr):
		status.MarkCondition(conditionType, metav1.ConditionFalse, specErr.Reason, specErr.Error())
		return nil
	case errors.As(err, &envErr):
		status.MarkCondition(conditionType, metav1.ConditionFalse, v1alpha1.ReasonUnknownEnvironment, envErr.Error())
		return nil
	case errors.As(err, &cfgErr):
		status.MarkCondition(conditionType, metav1.ConditionFalse, v1alpha1.ReasonKnativeConfigInvalid,
			"Knative Serving's configuration does not parse, so knapp cannot default the Service as Knative would: "+cfgErr.Error())
		return nil
	default:
		// The condition change is the event (recordConditionChanges).
		status.MarkAPIError(conditionType, err)
		return err
	}
}
