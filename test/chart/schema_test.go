package chart

import (
	"strings"
	"testing"
)

// TestSchemaRefusesBadValues: values.schema.json refuses typos at every
// level and wrong types at install/template time, naming the key.
func TestSchemaRefusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		values string
		want   []string // in the error
	}{
		{"replicas: 3", []string{"replicas"}},
		{"webhooks: {certManger: {enabled: true}}", []string{"/webhooks", "certManger"}},
		{"webhooks: {certManager: {issuerRef: {nmae: ca}}}", []string{"/webhooks/certManager/issuerRef", "nmae"}},
		{"platform: {clustername: eu1}", []string{"/platform", "clustername"}},
		{"platform: {environments: {prod: {minscale: 1}}}", []string{"/platform/environments/prod", "minscale"}},
		{"metrics: {serviceMonitor: {enable: true}}", []string{"/metrics/serviceMonitor", "enable"}},
		{"podSecurityContext: {runAsUsr: 1000}", []string{"/podSecurityContext", "runAsUsr"}},
		{"affinity: {podAntiAffinity: {preferred: []}}", []string{"/affinity/podAntiAffinity", "preferred"}},
		{"replicaCount: two", []string{"/replicaCount", "integer"}},
		{"crds: {install: yes-please}", []string{"/crds/install", "boolean"}},
		{"builds: {namespaces: team-a}", []string{"/builds/namespaces", "array"}},
		{"hooks: {port: 70000}", []string{"/hooks/port", "maximum"}},
		{"platform: {environments: {prod: {minScale: -1}}}", []string{"/platform/environments/prod/minScale"}},
		{"platform: {urlScheme: ftp}", []string{"/platform/urlScheme"}},
		{"platform: {clusterName: EU_1}", []string{"/platform/clusterName"}},
		{"platform: {logRoot: /var/log/../knapp}", []string{"/platform/logRoot"}},
		{"platform: {externalGateway: knative-ingress-gateway}", []string{"/platform/externalGateway"}},
		{"logLevel: verbose", []string{"/logLevel"}},
		{"concurrentReconciles: 0", []string{"/concurrentReconciles"}},
		{"image: {digest: latest}", []string{"/image/digest"}},
	} {
		_, err := renderValues(t, namespace, values(t, tc.values))
		if err == nil {
			t.Errorf("%s: rendered, want the schema to refuse it", tc.values)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error does not name %q:\n%v", tc.values, w, err)
			}
		}
	}
}
