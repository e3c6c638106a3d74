// Package app holds the App reconciler. A reconcile observes the App's
// children once (observe.go), runs its steps in order (steps.go): each asks
// the pure builders of package resources for the desired objects, writes
// only what differs, and returns an outcome or a typed error, which report
// (outcome.go) alone turns into the App's conditions; events follow the
// condition changes.
package app
