// Package app holds the App reconciler: it reads an App and what it depends
// on, asks the pure builders in package resources for the desired objects,
// writes only what differs, and reports every outcome in the App's status
// and events.
package app
