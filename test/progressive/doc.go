// Package progressive tests progressive releases end to end: knapp's own
// binary against a real kube-apiserver and etcd, reading a real Prometheus
// (test/promtest) that scrapes fake queue-proxies publishing Knative's own
// request metrics, with the traffic, errors and latency each scenario
// drives. A stand-in plays Knative's controller (a revision per template,
// the Service's status), so every traffic split knapp writes is read back
// from the Knative Service and the VirtualService it made.
//
// The scenarios that stop Prometheus or kill knapp run one after another;
// the others run in parallel, each in its own namespace.
package progressive
