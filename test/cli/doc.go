// Package cli tests kubectl knapp (pkg/cli) as people use it: each command
// runs against a real kube-apiserver as a tenant user with only the roles
// a team gets (knapp-app-edit, or knapp-app-view), and what it prints is
// compared with golden files; patches are read back from the API, and bad
// input and missing permissions leave the App unchanged.
package cli
