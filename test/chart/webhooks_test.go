package chart

import (
	"slices"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWebhooksMatchConfig: the three webhook configurations are
// config/webhook's, with the Service in the release namespace and the
// excluded namespaces from values plus the release namespace; and values'
// default excludedNamespaces is podlogs.yaml's list.
func TestWebhooksMatchConfig(t *testing.T) {
	r := render(t, "")
	excluded := defaultExcludedNamespaces(t)
	for _, file := range []string{"podlogs.yaml", "appvalidation.yaml"} {
		objs, err := parseManifestFile(repoPath(t, "config", "webhook", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			switch o.GetKind() {
			case "MutatingWebhookConfiguration":
				var want, got admissionregistrationv1.MutatingWebhookConfiguration
				decodeStrict(t, o, &want)
				decodeStrict(t, r.Get(t, o.GetKind(), o.GetName()), &got)
				for i := range want.Webhooks {
					w := &want.Webhooks[i]
					if file == "podlogs.yaml" && !slices.Equal(w.NamespaceSelector.MatchExpressions[0].Values, excluded) {
						t.Errorf("values.yaml's webhooks.excludedNamespaces %v, config/webhook/podlogs.yaml has %v", excluded, w.NamespaceSelector.MatchExpressions[0].Values)
					}
					inRelease(w.ClientConfig.Service, w.NamespaceSelector)
				}
				if !equality.Semantic.DeepEqual(got.Webhooks, want.Webhooks) {
					t.Errorf("%s %s:\n%+v\nwant\n%+v", o.GetKind(), o.GetName(), got.Webhooks, want.Webhooks)
				}
				checkAddedMetadata(t, got.ObjectMeta, want.ObjectMeta, nil)
			case "ValidatingWebhookConfiguration":
				var want, got admissionregistrationv1.ValidatingWebhookConfiguration
				decodeStrict(t, o, &want)
				decodeStrict(t, r.Get(t, o.GetKind(), o.GetName()), &got)
				for i := range want.Webhooks {
					inRelease(want.Webhooks[i].ClientConfig.Service, want.Webhooks[i].NamespaceSelector)
				}
				if !equality.Semantic.DeepEqual(got.Webhooks, want.Webhooks) {
					t.Errorf("%s %s:\n%+v\nwant\n%+v", o.GetKind(), o.GetName(), got.Webhooks, want.Webhooks)
				}
				checkAddedMetadata(t, got.ObjectMeta, want.ObjectMeta, nil)
			default:
				t.Errorf("%s: unexpected %s", file, o)
			}
		}
	}
}

// inRelease moves config/webhook's Service and excluded namespaces from
// knapp-system to the test's release namespace, as the chart does.
func inRelease(svc *admissionregistrationv1.ServiceReference, sel *metav1.LabelSelector) {
	svc.Namespace = namespace
	if sel == nil {
		return
	}
	for i := range sel.MatchExpressions {
		if e := &sel.MatchExpressions[i]; e.Key == "kubernetes.io/metadata.name" && e.Operator == metav1.LabelSelectorOpNotIn {
			e.Values = append(e.Values, namespace)
		}
	}
}

func defaultExcludedNamespaces(t *testing.T) []string {
	t.Helper()
	vals, err := chartutil.ReadValuesFile(repoPath(t, "charts", "knapp", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := vals.PathValue("webhooks.excludedNamespaces")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ns := range list.([]any) {
		out = append(out, ns.(string))
	}
	return out
}
