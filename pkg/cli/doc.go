// Package cli is kubectl knapp, the plugin app teams use instead of raw
// kubectl and merge patches: get and describe an App's revisions, traffic,
// match rules, rollout and builds; canary, promote, rollback, pause and
// resume as patches of the App's spec (refused on an App Argo CD manages,
// unless --force); route, which revision a request would reach, from the
// same pure release plan that renders knapp's VirtualService. It runs on
// the caller's own kubeconfig (cli-runtime's flags), so it can do nothing
// the caller could not do with kubectl.
package cli
