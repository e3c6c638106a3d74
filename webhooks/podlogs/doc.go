// Package podlogs is the mutating admission webhook that gives pods of Apps
// with spec.logs their log directory on the node.
//
// Knative refuses hostPath volumes in a Service, but the platform's log
// pipeline reads files from each node. knapp puts the labels knapp.dev/app
// and knapp.dev/logs on the revision template of an App with spec.logs, so
// every pod of it reaches this webhook on CREATE (the webhook configuration's
// objectSelector selects knapp.dev/logs=true; config/webhook/podlogs.yaml).
// For such a pod the webhook looks the App up and Inject adds:
//
//   - the volume knapp-logs: hostPath <log root>/<namespace>/<app>, type
//     DirectoryOrCreate;
//   - in the App's log container (spec.logs.container, else the App's own
//     container), a mount of it at spec.logs.path with subPathExpr
//     $(KNAPP_POD_NAME), so each pod writes its own sub-directory, and the env
//     var KNAPP_POD_NAME from the downward API (metadata.name);
//   - the annotation knapp.dev/logs-host-path: <log root>/<namespace>/<app>.
//
// The host path is made from trusted values only: the platform's log root,
// the admission request's namespace and the name of an App that exists. Never
// from the pod: a volume, mount or env var named like knapp's is replaced, the
// annotation is overwritten, and the handler denies a pod that declares a
// hostPath volume of its own. Inject is pure and idempotent (applying it twice
// equals once), so the webhook may be reinvoked.
//
// Register the handler on the manager's webhook server:
//
//	mgr.GetWebhookServer().Register(podlogs.Path, &webhook.Admission{Handler: &podlogs.Handler{
//		Apps:    podlogs.ClientApps{Reader: mgr.GetClient()},
//		Config:  podlogs.Config{LogRoot: platformConfig.LogRoot},
//		Decoder: admission.NewDecoder(mgr.GetScheme()),
//	}})
package podlogs
