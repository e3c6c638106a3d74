// Package istiojudge runs Istio's own translation (istiod's pilot, from
// istio.io/istio) over the VirtualServices knapp writes, offline, and checks
// the Envoy routes Knative's ingress gateway would receive: their order,
// matchers, rewrites and destinations. The VirtualServices are the
// builders' golden files (pkg/resources/testdata), so what is judged is
// what knapp's tests pin. A small evaluator of Envoy's route matching
// (envoymatch_test.go) then says where a given request goes.
//
// A module of its own, so that knapp's go.mod does not take istiod's
// dependencies: it imports nothing of knapp.
package istiojudge
