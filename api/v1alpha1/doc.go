// Package v1alpha1 holds the knapp.dev/v1alpha1 API: the App, one object a
// team writes to get a running service on Knative Serving, and its lifecycle
// (the conditions knapp reports and the Mark* methods that set them).
//
// +kubebuilder:object:generate=true
// +groupName=knapp.dev
package v1alpha1
