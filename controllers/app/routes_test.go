package app

import (
	"encoding/json"
	"testing"

	istioapiv1 "istio.io/api/networking/v1"
	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	netapi "knative.dev/networking/pkg/apis/networking"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

const routesTestHost = "shop.sls-local.knapp.example.com"

// servingService is a Knative Service at generation 3 that Knative observed,
// reports routesTestHost as its URL and has its routes ready; opts change it.
func servingService(opts ...func(*servingv1.Service)) *servingv1.Service {
	ksvc := &servingv1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "shop", Generation: 3},
		Status: servingv1.ServiceStatus{
			Status: duckv1.Status{
				ObservedGeneration: 3,
				Conditions: duckv1.Conditions{
					{Type: servingv1.ServiceConditionRoutesReady, Status: corev1.ConditionTrue},
					{Type: apis.ConditionReady, Status: corev1.ConditionTrue},
				},
			},
			RouteStatusFields: servingv1.RouteStatusFields{URL: &apis.URL{Scheme: "http", Host: routesTestHost}},
		},
	}
	for _, o := range opts {
		o(ksvc)
	}
	return ksvc
}

func TestKnativeServesHost(t *testing.T) {
	tests := []struct {
		name string
		ksvc *servingv1.Service
		host string
		want bool
		// knownBug, when set, names a case the code gets wrong today (see
		// the report); the case is skipped while it still fails.
	}{{
		name: "no Knative Service",
		ksvc: nil,
		host: routesTestHost,
		want: false,
	}, {
		name: "external, observed, URL is the host",
		ksvc: servingService(),
		host: routesTestHost,
		want: true,
	}, {
		name: "https URL is the host",
		ksvc: servingService(func(s *servingv1.Service) { s.Status.URL.Scheme = "https" }),
		host: routesTestHost,
		want: true,
	}, {
		name: "external label value other than cluster-local",
		ksvc: servingService(func(s *servingv1.Service) {
			s.Labels = map[string]string{netapi.VisibilityLabelKey: "", "team": "a"}
		}),
		host: routesTestHost,
		want: true,
	}, {
		name: "cluster-local label set",
		ksvc: servingService(func(s *servingv1.Service) {
			s.Labels = map[string]string{netapi.VisibilityLabelKey: serving.VisibilityClusterLocal}
		}),
		host: routesTestHost,
		want: false,
	}, {
		name: "generation not observed",
		ksvc: servingService(func(s *servingv1.Service) { s.Generation = 4 }),
		host: routesTestHost,
		want: false,
	}, {
		name: "no URL yet",
		ksvc: servingService(func(s *servingv1.Service) { s.Status.URL = nil }),
		host: routesTestHost,
		want: false,
	}, {
		name: "URL is Knative's cluster-local host",
		ksvc: servingService(func(s *servingv1.Service) {
			s.Status.URL = &apis.URL{Scheme: "http", Host: "shop.team-a.svc.cluster.local"}
		}),
		host: routesTestHost,
		want: false,
	}, {
		name: "URL is another external host",
		ksvc: servingService(func(s *servingv1.Service) {
			s.Status.URL = &apis.URL{Scheme: "http", Host: "shop-team-a.sls-local.knapp.example.com"}
		}),
		host: routesTestHost,
		want: false,
	}, {
		// Knative's route reconciler sets status.url (from the domain
		// template) before it programs the ingress, and the Service copies
		// it once the Route observed its generation, with RoutesReady still
		// Unknown (IngressNotConfigured). Deleting knapp's VirtualService
		// then leaves the host unserved until Knative's ingress is ready.
		name: "URL is the host but Knative's routes are not ready yet",
		ksvc: servingService(func(s *servingv1.Service) {
			s.Status.Conditions = duckv1.Conditions{
				{Type: servingv1.ServiceConditionRoutesReady, Status: corev1.ConditionUnknown, Reason: "IngressNotConfigured"},
				{Type: apis.ConditionReady, Status: corev1.ConditionUnknown, Reason: "IngressNotConfigured"},
			}
		}),
		host: routesTestHost,
		want: false,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := knativeServesHost(tc.ksvc, tc.host); got != tc.want {
				t.Errorf("knativeServesHost = %v, want %v", got, tc.want)
			}
		})
	}
}

func routesApp() *v1alpha1.App {
	return &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-a", UID: "uid-routes"},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/team-a/shop:1.4.2"},
	}
}

func routesPlan() resources.ReleasePlan {
	s := func(v string) *string { return &v }
	return resources.ReleasePlan{
		StableRevision: "shop-0000000001",
		Canary: &resources.CanaryPlan{
			Revision: "shop-0000000002",
			Percent:  10,
			Match: []v1alpha1.MatchRule{
				{Headers: map[string]v1alpha1.StringMatch{
					"x-canary": {Exact: s("true")},
					"x-team":   {Prefix: s("payments")},
				}},
				{Path: &v1alpha1.StringMatch{Prefix: s("/v2/")}, RewritePath: "/"},
				{Cookie: &v1alpha1.CookieMatch{Name: "canary", Value: "always"}},
				{Headers: map[string]v1alpha1.StringMatch{"user-agent": {Regex: s(".*Android.*")}}, Cookie: &v1alpha1.CookieMatch{Name: "beta"}},
			},
		},
	}
}

func routesVirtualService() *istiov1.VirtualService {
	return resources.MakeVirtualService(routesApp(), routesPlan(), platform.Default())
}

func TestVirtualServiceEqual(t *testing.T) {
	tests := []struct {
		name   string
		change func(existing *istiov1.VirtualService)
		want   bool
	}{{
		name:   "same input",
		change: func(*istiov1.VirtualService) {},
		want:   true,
	}, {
		name: "extra labels others own",
		change: func(vs *istiov1.VirtualService) {
			vs.Labels["team"] = "a"
			vs.Labels["app.kubernetes.io/managed-by"] = "someone"
		},
		want: true,
	}, {
		name: "annotations others own",
		change: func(vs *istiov1.VirtualService) {
			vs.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}", "note": "x"}
		},
		want: true,
	}, {
		name: "server-set metadata",
		change: func(vs *istiov1.VirtualService) {
			vs.ResourceVersion = "12345"
			vs.Generation = 7
			vs.UID = "vs-uid"
			vs.CreationTimestamp = metav1.Now()
			vs.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "knapp", Operation: metav1.ManagedFieldsOperationUpdate}}
		},
		want: true,
	}, {
		name: "header match value changed",
		change: func(vs *istiov1.VirtualService) {
			vs.Spec.Http[0].Match[0].Headers["x-canary"] = &istioapiv1.StringMatch{MatchType: &istioapiv1.StringMatch_Exact{Exact: "false"}}
		},
		want: false,
	}, {
		name: "header match kind changed",
		change: func(vs *istiov1.VirtualService) {
			vs.Spec.Http[0].Match[0].Headers["x-canary"] = &istioapiv1.StringMatch{MatchType: &istioapiv1.StringMatch_Prefix{Prefix: "true"}}
		},
		want: false,
	}, {
		name:   "header match dropped",
		change: func(vs *istiov1.VirtualService) { delete(vs.Spec.Http[0].Match[0].Headers, "x-team") },
		want:   false,
	}, {
		name: "canary rewrite authority changed",
		change: func(vs *istiov1.VirtualService) {
			vs.Spec.Http[0].Rewrite.Authority = "shop.team-a.svc.cluster.local"
		},
		want: false,
	}, {
		name: "split rewrite authority changed",
		change: func(vs *istiov1.VirtualService) {
			vs.Spec.Http[len(vs.Spec.Http)-1].Rewrite.Authority = "canary-shop.team-a.svc.cluster.local"
		},
		want: false,
	}, {
		name:   "rewrite path changed",
		change: func(vs *istiov1.VirtualService) { vs.Spec.Http[1].Rewrite.Uri = "/v1/" },
		want:   false,
	}, {
		name:   "route removed",
		change: func(vs *istiov1.VirtualService) { vs.Spec.Http = vs.Spec.Http[1:] },
		want:   false,
	}, {
		name:   "host changed",
		change: func(vs *istiov1.VirtualService) { vs.Spec.Hosts = []string{"other.sls-local.knapp.example.com"} },
		want:   false,
	}, {
		name:   "gateway added",
		change: func(vs *istiov1.VirtualService) { vs.Spec.Gateways = append(vs.Spec.Gateways, "mesh") },
		want:   false,
	}, {
		name:   "knapp.dev/app label dropped",
		change: func(vs *istiov1.VirtualService) { delete(vs.Labels, v1alpha1.LabelApp) },
		want:   false,
	}, {
		name:   "knapp.dev/app label changed",
		change: func(vs *istiov1.VirtualService) { vs.Labels[v1alpha1.LabelApp] = "web" },
		want:   false,
	}, {
		name:   "all labels dropped",
		change: func(vs *istiov1.VirtualService) { vs.Labels = nil },
		want:   false,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			existing, want := routesVirtualService(), routesVirtualService()
			tc.change(existing)
			if got := virtualServiceEqual(existing, want); got != tc.want {
				t.Errorf("virtualServiceEqual = %v, want %v", got, tc.want)
			}
		})
	}
}

// A VirtualService read back from the API server (JSON, with server-set
// fields and defaults) still equals what knapp would write, so knapp does
// not update it on every reconcile.
func TestVirtualServiceEqualAfterJSONRoundTrip(t *testing.T) {
	want := routesVirtualService()
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	stored := &istiov1.VirtualService{}
	if err := json.Unmarshal(data, stored); err != nil {
		t.Fatal(err)
	}
	stored.ResourceVersion = "42"
	stored.Labels["team"] = "a"
	if !virtualServiceEqual(stored, want) {
		t.Errorf("a VirtualService read back as JSON differs from the one knapp wrote:\n%s", data)
	}
}

// MakeVirtualService is deterministic: header maps are not a source of
// spurious differences.
func TestVirtualServiceEqualIsStableOverRepeatedBuilds(t *testing.T) {
	first := routesVirtualService()
	for i := 0; i < 50; i++ {
		if !virtualServiceEqual(first, routesVirtualService()) {
			t.Fatalf("build %d differs from the first", i)
		}
	}
}
