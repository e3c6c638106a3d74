package appvalidation

import "knapp.dev/knapp/api/v1alpha1"

// Default writes the App's defaults into it (v1alpha1.App.SetDefaults), so
// that they show in `kubectl get app -o yaml`.
func Default(app *v1alpha1.App) {
	if app == nil {
		return
	}
	app.SetDefaults()
}
