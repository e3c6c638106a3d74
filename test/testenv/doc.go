// Package testenv starts a real kube-apiserver and etcd (controller-runtime's
// envtest) with everything knapp talks to: knapp's own CRD, Knative Serving's,
// Istio's and Argo Workflows' CRDs, and Knative's admission webhook for
// Services served in-process.
//
// Integration tests and the dev environment (go run ./test/dev) share it, so
// both see what a real cluster would: Knative Services that are defaulted and
// validated by Knative's own code, not by a hand-written imitation.
//
// The CRDs are read from the Go module cache at the versions go.mod pins, so
// they change only when a dependency does, and none are copied into the repo.
package testenv
