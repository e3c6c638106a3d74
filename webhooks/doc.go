// Package webhooks will hold knapp's admission webhooks: the pod webhook
// that injects host-path log volumes (webhooks/podlogs) and the App's
// validation and defaulting. Until they exist, an App that sets spec.logs
// reports LogsReady=False with reason NotImplemented.
package webhooks
