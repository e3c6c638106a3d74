// Package names holds the names and hosts of the objects knapp makes for an
// App, so that every part of knapp (and the tests) agree on them.
package names

import (
	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// KnativeService is the name of the App's Knative Service: the App's own,
// so that Knative's hosts and revision names read like the App.
func KnativeService(app *v1alpha1.App) string {
	return app.Name
}

// VirtualService is the name of the Istio VirtualService that routes the
// App's host when canary match rules exist. Knative's own (net-istio) are
// <route>-ingress and <route>-mesh; this one cannot clash with them.
func VirtualService(app *v1alpha1.App) string {
	return app.Name + "-routes"
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

// ExternalHost is the App's host on the platform's domain:
// <domain.name or app>.sls-<cluster>.<suffix>.
func ExternalHost(app *v1alpha1.App, cfg platform.Config) string {
	return app.HostLabel() + "." + cfg.Domain()
}

// InternalHost is the cluster-local host of the App's Knative Service, which
// Knative's local gateway routes with its percentage split.
func InternalHost(app *v1alpha1.App, cfg platform.Config) string {
	return KnativeService(app) + "." + app.Namespace + ".svc." + cfg.ClusterDomain
}

// TagHost is the cluster-local host of a traffic tag, by Knative's default
// tag-template ({{.Tag}}-{{.Name}}).
func TagHost(app *v1alpha1.App, tag string, cfg platform.Config) string {
	return tag + "-" + KnativeService(app) + "." + app.Namespace + ".svc." + cfg.ClusterDomain
}
