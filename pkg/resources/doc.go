// Package resources holds pure functions that make the objects an App
// becomes (App and platform settings in, objects out), and the plan they are
// rendered from. Nothing here talks to the API server; the reconciler
// compares what these functions return with what exists and writes the
// difference.
package resources
