package app

import "knapp.dev/knapp/api/v1alpha1"

// unimplementedPart is a part of the App spec that is accepted but not yet
// acted on, so that asking for it shows in status instead of being ignored.
type unimplementedPart struct {
	condition string
	field     string
	what      string
	requested func(*v1alpha1.AppSpec) bool
}

var unimplementedParts = []unimplementedPart{{
	condition: v1alpha1.ConditionLogsReady,
	field:     "spec.logs",
	what:      "collecting log files onto the node's host path",
	requested: func(s *v1alpha1.AppSpec) bool { return s.Logs != nil },
}}

// markUnimplemented sets a NotImplemented condition for each unimplemented
// part the App asks for, and clears it for each it does not.
func markUnimplemented(app *v1alpha1.App) {
	for _, p := range unimplementedParts {
		if p.requested(&app.Spec) {
			app.Status.MarkNotImplemented(p.condition, p.field, p.what)
		} else {
			app.Status.ClearCondition(p.condition)
		}
	}
}
