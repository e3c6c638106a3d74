// Package integration tests knapp's App controller against a real
// kube-apiserver and etcd, with the real CRDs of Knative Serving, Istio and
// Argo Workflows and Knative's own defaulting and validation served as an
// admission webhook (package testenv). Knative's controllers do not run
// here: a test that needs a Service's status writes it as Knative would.
package integration
