package app

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// LogsReady follows the namespace's Pod Security labels: levels that forbid
// hostPath stall the App, so does "privileged" without knapp's policy
// label; with it, or with no level set, the App's pods get their directory.
func TestLogsConditionFollowsTheNamespaceLabels(t *testing.T) {
	app := &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "web"},
		Spec: v1alpha1.AppSpec{Logs: &v1alpha1.Logs{Path: "/app/logs"}}}
	tests := []struct {
		labels map[string]string
		reason string // "" for ready
		says   []string
	}{
		{nil, "", []string{"/var/log/knapp/team-b/web", "/app/logs"}},
		{map[string]string{podSecurityEnforceLabel: "baseline"}, v1alpha1.ReasonPodSecurityBaseline, []string{"team-b", `"baseline"`, "knapp.dev/pod-security=baseline"}},
		{map[string]string{podSecurityEnforceLabel: "restricted", v1alpha1.LabelPodSecurity: "baseline"}, v1alpha1.ReasonPodSecurityRestricted, []string{`"restricted"`}},
		{map[string]string{podSecurityEnforceLabel: "privileged"}, v1alpha1.ReasonPodSecurityUnguarded, []string{"team-b", "any node path", "knapp.dev/pod-security=baseline"}},
		{map[string]string{podSecurityEnforceLabel: "privileged", v1alpha1.LabelPodSecurity: "yes"}, v1alpha1.ReasonPodSecurityUnguarded, nil},
		{map[string]string{podSecurityEnforceLabel: "privileged", v1alpha1.LabelPodSecurity: "baseline"}, "", []string{"/var/log/knapp/team-b/web"}},
	}
	for _, tt := range tests {
		out, err := logsCondition(app, tt.labels, "/var/log/knapp")
		var msg string
		if tt.reason == "" {
			if err != nil {
				t.Errorf("labels %v: %v, want ready", tt.labels, err)
				continue
			}
			msg = out.message
		} else {
			var se *stepError
			if !errors.As(err, &se) || se.reason != tt.reason || se.status != metav1.ConditionFalse {
				t.Errorf("labels %v: got %v (%#v), want stalled %s", tt.labels, err, err, tt.reason)
				continue
			}
			msg = se.message
		}
		for _, s := range tt.says {
			if !strings.Contains(msg, s) {
				t.Errorf("labels %v: message %q does not say %q", tt.labels, msg, s)
			}
		}
	}
}
