// Package fullchain follows one App as far as a local control plane takes
// it: etcd and kube-apiserver (test/testenv), kube-controller-manager,
// kube-scheduler, kwok with a fake node, Knative Serving's own controller
// and webhook, and bin/knapp with its webhooks.
//
// The chain, each link asserted: App → Knative Service (admitted by
// Knative's webhook binary) → Configuration and Route (Knative's
// controller, admitted by Knative's webhook) → Revision named by knapp →
// Deployment (Knative) → ReplicaSet (kube-controller-manager) → Pod (the
// ReplicaSet controller; mutated by knapp's log webhook) → bound to the
// fake node (kube-scheduler) → Running and Ready (kwok).
//
// Where it stops: there is no Knative autoscaler, activator or networking
// layer, and no pod runs a process. The revision's Deployment keeps
// Knative's initial scale (1) because no autoscaler reconciles the
// PodAutoscaler; no ServerlessService is made; the Ingress is never
// reconciled, so the Route, the Knative Service and the App stay not Ready.
// The test records those conditions too.
//
// Knative's controller serves its health probes on port 8080, fixed; the
// test waits for the port rather than run beside `make dev` (CI runs them
// one after the other).
package fullchain
