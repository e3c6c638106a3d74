// Package knativeconfig builds the configuration that Knative Serving's
// webhook defaults and validates Services with, from the same config maps,
// so that knapp computes exactly what Knative will store and compares with
// it instead of fighting Knative's defaults.
package knativeconfig
