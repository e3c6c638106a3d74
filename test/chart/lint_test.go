package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestLint runs `helm lint`'s checks (Chart.yaml, values against the
// schema, every template rendered and parsed) for the defaults and every
// toggle: no errors and no warnings.
func TestLint(t *testing.T) {
	for _, tg := range toggles {
		t.Run(tg.name, func(t *testing.T) {
			linter := lint.AllWithKubeVersion(chartDir(t), values(t, tg.values), namespace, kubeVersion)
			for _, m := range linter.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("%s", m)
				} else {
					t.Logf("%s", m)
				}
			}
		})
	}
}
