// Package appvalidation is the App's validating and defaulting admission.
//
// Validate checks every rule that can be checked on one App, with the field
// at fault named and what is allowed, so that `kubectl apply` refuses a bad
// App at once instead of the reconciler reporting InvalidSpec in status
// later: the App's own rules (v1alpha1.App.Validate, which the reconciler
// applies too) and Knative Serving's own rules, run on the Service the
// builders make under the cluster's Knative configuration
// (resources.ValidateInKnative, KnativeConfig). Rules that depend on other
// objects (which revisions exist, who holds a host) stay with the
// reconciler.
//
// ValidateUpdate adds the rules of a change: an update may not leave the App
// without an image to run. UpdateWarnings explains changes that are allowed
// but surprising (giving up a host, switching from the built image back to
// spec.image) as admission warnings, which kubectl prints.
//
// Default writes the App's defaults (v1alpha1.App.SetDefaults) into it, so
// `kubectl get app -o yaml` shows them.
//
// Validator and Defaulter are controller-runtime's CustomValidator and
// CustomDefaulter; Register serves them on a webhook server at ValidatePath
// and DefaultPath, which config/webhook/appvalidation.yaml names:
//
//	appvalidation.Register(mgr.GetWebhookServer(), mgr.GetScheme(), appvalidation.Validator{
//		KnativeConfig: appvalidation.ClusterKnativeConfig(mgr.GetClient(), "knative-serving"),
//		Platform:      cfg,
//	})
package appvalidation
