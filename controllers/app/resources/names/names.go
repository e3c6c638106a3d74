// Package names holds the names of the objects knapp makes for an App, so
// that every part of knapp (and the tests) agree on them.
package names

import "knapp.dev/knapp/api/v1alpha1"

// KnativeService is the name of the App's Knative Service: the App's own,
// so that Knative's hosts and revision names read like the App.
func KnativeService(app *v1alpha1.App) string {
	return app.Name
}

// RevisionHashLength is how many hex digits of the template's hash a
// revision name carries.
const RevisionHashLength = 10

// Revision is the name of the revision a template with that content hash
// makes. Knative requires bring-your-own revision names to start with the
// Service's name and a dash.
func Revision(app *v1alpha1.App, contentHash string) string {
	if len(contentHash) > RevisionHashLength {
		contentHash = contentHash[:RevisionHashLength]
	}
	return KnativeService(app) + "-" + contentHash
}

// Host is the first label of the App's host.
func Host(app *v1alpha1.App) string {
	if app.Spec.Domain != nil && app.Spec.Domain.Name != "" {
		return app.Spec.Domain.Name
	}
	return app.Name
}
