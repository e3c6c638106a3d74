// Package analysis reads a revision's metrics from Prometheus for the
// checks of a progressive release (v1alpha1.Analysis): one instant query
// per metric at the end of the interval, each returning one number. It
// knows Prometheus' API and the platform's query templates; judging the
// numbers is the App's rule (v1alpha1.Analysis.Judge).
package analysis
