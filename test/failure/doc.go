// Package failure runs knapp's binary as a real process against a local
// control plane (test/testenv, test/stack) and breaks things around it: it
// SIGKILLs knapp during a rollout of many Apps, kills the leader of two
// replicas, restarts kube-apiserver under it, stops its webhook server, and
// fights it over the Knative Services it writes. Each test checks what
// knapp promises under that failure: every App converges, no build starts
// twice, the standby takes over, knapp recovers on its own, admission
// behaves as documented, and a conflicting write is retried.
//
// KNAPP_FAILURE_APPS (default 60) and KNAPP_FAILURE_KILLS (default 4) size
// the rollout; KNAPP_FAILURE_SEED replays its kill schedule. The issue's
// scale is KNAPP_FAILURE_APPS=500. KNAPP_FAILURE_KEEP_LOGS=1 keeps the
// knapps' logs (they are kept anyway when a test fails).
package failure
