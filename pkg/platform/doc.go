// Package platform holds the platform team's settings for knapp: the cluster
// name and domain suffix that make hosts, the environments namespaces opt
// into, and where Knative Serving keeps its configuration. The Helm chart
// renders them into a file that the manager loads at start.
package platform
