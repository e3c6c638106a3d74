package resources

import (
	"reflect"
	"testing"
	"time"

	istioapiv1 "istio.io/api/networking/v1"
	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func vsAt(namespace, name string, created time.Time, gateway string, hosts ...string) *istiov1.VirtualService {
	vs := &istiov1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if !created.IsZero() {
		vs.CreationTimestamp = metav1.NewTime(created)
	}
	vs.Spec = istioapiv1.VirtualService{Gateways: []string{gateway}, Hosts: hosts}
	return vs
}

func deleting(vs *istiov1.VirtualService) *istiov1.VirtualService {
	now := metav1.Now()
	vs.DeletionTimestamp = &now
	return vs
}

func TestShadowingVirtualServices(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const host, gw = "shop.sls-local.knapp.example.com", "knative-serving/knative-ingress-gateway"
	ours := vsAt("team-a", "shop-routes", t0, gw, host)
	tests := []struct {
		name   string
		ours   *istiov1.VirtualService
		others []*istiov1.VirtualService
		want   []string
	}{
		{"alone", ours, []*istiov1.VirtualService{ours}, nil},
		{"Knative's ingress, older, during the handover", ours,
			[]*istiov1.VirtualService{vsAt("team-a", "shop-ingress", t0.Add(-time.Hour), gw, host, "shop.team-a.svc.cluster.local"), ours},
			[]string{"team-a/shop-ingress"}},
		// Istio puts a newer one's routes after ours, but moves our split,
		// a catch-all, behind its authority-matching route.
		{"a newer one too", ours, []*istiov1.VirtualService{vsAt("team-a", "shop-ingress", t0.Add(time.Second), gw, host)}, []string{"team-a/shop-ingress"}},
		{"ours not created yet", vsAt("team-a", "shop-routes", time.Time{}, gw, host),
			[]*istiov1.VirtualService{vsAt("team-b", "grab", t0, gw, host)}, []string{"team-b/grab"}},
		{"several, sorted", ours,
			[]*istiov1.VirtualService{vsAt("team-a", "zzz", t0, gw, host), vsAt("team-a", "aaa", t0, gw, host), vsAt("team-0", "zzz", t0, gw, host)},
			[]string{"team-0/zzz", "team-a/aaa", "team-a/zzz"}},
		{"one being deleted", ours, []*istiov1.VirtualService{deleting(vsAt("team-a", "shop-ingress", t0, gw, host))}, nil},
		{"a wildcard host", ours, []*istiov1.VirtualService{vsAt("ops", "catch-all", t0.Add(-time.Hour), gw, "*.sls-local.knapp.example.com")}, []string{"ops/catch-all"}},
		{"the gateway named in the VirtualService's own namespace", ours,
			[]*istiov1.VirtualService{vsAt("knative-serving", "x", t0.Add(-time.Hour), "knative-ingress-gateway", host)}, []string{"knative-serving/x"}},
		{"another gateway", ours, []*istiov1.VirtualService{vsAt("team-a", "shop-mesh", t0.Add(-time.Hour), "mesh", host)}, nil},
		{"another host", ours, []*istiov1.VirtualService{vsAt("team-a", "cart-ingress", t0.Add(-time.Hour), gw, "cart.sls-local.knapp.example.com")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ShadowingVirtualServices(tc.ours, tc.others); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
