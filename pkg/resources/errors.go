package resources

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
)

// SpecError says why an App's spec cannot become a valid object, naming the
// field and what is allowed. The reconciler reports it in a condition whose
// reason is Reason.
type SpecError struct {
	// Reason is the condition reason, such as InvalidSpec or RevisionNotFound.
	Reason string
	// Field is the path of the field at fault, such as spec.release.stable.
	Field string
	// Detail says what is wrong and what is allowed.
	Detail string
}

func (e *SpecError) Error() string {
	return e.Field + ": " + e.Detail
}

// specErrorFromFieldErrors reports every field error in one SpecError,
// named by the first field at fault.
func specErrorFromFieldErrors(errs field.ErrorList) *SpecError {
	details := []string{errs[0].ErrorBody()}
	for _, e := range errs[1:] {
		details = append(details, e.Error())
	}
	return &SpecError{Reason: v1alpha1.ReasonInvalidSpec, Field: errs[0].Field, Detail: strings.Join(details, "; ")}
}
