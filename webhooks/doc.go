// Package webhooks groups knapp's admission webhooks: podlogs injects the
// node log directory into pods of Apps with spec.logs, and appvalidation
// validates and defaults Apps. cmd/knapp serves both on the manager's
// webhook server; config/webhook holds their configurations.
package webhooks
