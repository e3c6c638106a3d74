// Package resources holds pure functions that make the objects an App
// becomes (App and platform settings in, objects out), the plan they are
// rendered from, and beside each builder the keys knapp owns on that
// object and how an existing one is brought in line. Nothing here talks to
// the API server; the reconciler compares what these functions return with
// what exists and writes the difference, and the webhooks reuse them.
package resources
