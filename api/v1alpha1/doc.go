// Package v1alpha1 holds the knapp.dev/v1alpha1 API: the App, one object a
// team writes to get a running service on Knative Serving, and every rule
// of it, side by side as Knative's own API packages keep theirs: the types
// (app_types.go), the defaults (app_defaults.go), the validation
// (app_validation.go and the build, image, release and schedule rules) and
// the lifecycle (app_lifecycle.go: every condition reason, the Mark*
// methods, ComputeReady).
//
// +kubebuilder:object:generate=true
// +groupName=knapp.dev
package v1alpha1
