package app

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// The platform's host policy: a reserved name is held by no App, a
// namespace with an allow-list takes only its names, and an App the policy
// keeps from a host does not block one that may take it, even if older.
func TestReconcileDomainFollowsTheHostPolicy(t *testing.T) {
	cfg := platform.Default()
	cfg.Hosts = platform.HostPolicy{Reserved: []string{"login"}, ByNamespace: map[string][]string{"team-a": {"cart"}}}
	older := domainApp("team-a", "shop", 0) // asks for shop, allowed only cart
	self := domainApp("team-b", "shop", 5)
	login := domainApp("team-b", "login", 0, func(a *v1alpha1.App) { a.Spec.Domain = nil })

	s := runtime.NewScheme()
	utilruntime.Must(v1alpha1.AddToScheme(s))
	utilruntime.Must(servingv1.AddToScheme(s))
	c := fake.NewClientBuilder().WithScheme(s).
		WithIndex(&v1alpha1.App{}, hostIndex, indexHost).
		WithIndex(&servingv1.Route{}, routeHostIndex, indexRouteHost).
		WithObjects(older.DeepCopy(), self.DeepCopy(), login.DeepCopy()).Build()
	r := &Reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(10), Platform: cfg}

	tests := []struct {
		app    *v1alpha1.App
		reason string
		holds  bool
		says   string
	}{
		{login, v1alpha1.ReasonHostNotAllowed, false, "reserved by the platform (platform config hosts.reserved)"},
		{older, v1alpha1.ReasonHostNotAllowed, false, "namespace team-a may take only the host names cart (platform config hosts.byNamespace), not shop"},
		{self, v1alpha1.ReasonReady, true, domainTestHost},
	}
	for _, tc := range tests {
		app := tc.app.DeepCopy()
		st := &state{app: app}
		if _, err := r.reconcileDomain(context.Background(), st); err != nil {
			t.Fatalf("%s: %v", app.Name, err)
		}
		cond := app.Status.GetCondition(v1alpha1.ConditionDomainReady)
		if cond == nil || cond.Reason != tc.reason || !strings.Contains(cond.Message, tc.says) || st.holdsHost != tc.holds {
			t.Errorf("%s/%s: DomainReady %+v, holds %v; want %s saying %q, holds %v", app.Namespace, app.Name, cond, st.holdsHost, tc.reason, tc.says, tc.holds)
		}
		if tc.holds != (app.Status.Domain != nil) {
			t.Errorf("%s/%s: status.domain %+v", app.Namespace, app.Name, app.Status.Domain)
		}
	}
}
