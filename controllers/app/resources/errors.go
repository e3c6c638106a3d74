package resources

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
