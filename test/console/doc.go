// Package console tests kubectl knapp console as a person uses it: a real
// headless Chromium (Debian's chromium, driven with chromedp) opens the
// console that the team's editor started with their own kubeconfig, against
// a real kube-apiserver where knapp's reconciler runs (Knative played by
// testenv.ActAsKnative): it sees the App's traffic split, clicks Promote,
// and sees the split change. Screenshots of the App page are written for
// the README with -screenshots.
package console
