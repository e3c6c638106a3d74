// Package stack runs the local stack's programs as child processes against
// a test control plane (test/testenv): knapp's own binary, Knative Serving's
// controller, and the admission webhooks of a knapp run that way. make dev,
// the benchmark and the tests that need real processes (kill, restart,
// resident memory) share it.
package stack

// Progress reports what the package starts and stops; make dev prints it,
// tests leave it quiet.
var Progress = func(format string, args ...any) {}
