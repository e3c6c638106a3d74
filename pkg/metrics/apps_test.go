package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"knapp.dev/knapp/api/v1alpha1"
)

func appWith(ns, name string, conds ...metav1.Condition) *v1alpha1.App {
	return &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Status:     v1alpha1.AppStatus{Conditions: conds},
	}
}

func cond(t, status, reason string) metav1.Condition {
	return metav1.Condition{Type: t, Status: metav1.ConditionStatus(status), Reason: reason}
}

func appsClient(t *testing.T, funcs *interceptor.Funcs, apps ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().WithScheme(s).WithObjects(apps...)
	if funcs != nil {
		b = b.WithInterceptorFuncs(*funcs)
	}
	return b.Build()
}

// Apps are counted per condition, status and reason, across namespaces;
// an App without conditions is not counted.
func TestAppsCollectorCountsByCondition(t *testing.T) {
	c := appsClient(t, nil,
		appWith("team-a", "shop", cond("Ready", "True", "Ready"), cond("ServiceReady", "True", "Ready")),
		appWith("team-b", "shop", cond("Ready", "True", "Ready"), cond("ServiceReady", "True", "Ready")),
		appWith("team-a", "cart",
			cond("Ready", "False", "BuildFailed"), cond("ServiceReady", "Unknown", "Deploying"), cond("BuildSucceeded", "False", "BuildFailed")),
		appWith("team-a", "new"),
	)
	want := `
# HELP knapp_apps Apps by status condition (Ready and one per part: ServiceReady, DomainReady, RoutesReady, BuildSucceeded, LogsReady, SchedulesReady), the condition's status and reason, as knapp's cache holds them at scrape time. Apps knapp has not reconciled yet have no conditions and are not counted.
# TYPE knapp_apps gauge
knapp_apps{condition="BuildSucceeded",reason="BuildFailed",status="False"} 1
knapp_apps{condition="Ready",reason="BuildFailed",status="False"} 1
knapp_apps{condition="Ready",reason="Ready",status="True"} 2
knapp_apps{condition="ServiceReady",reason="Deploying",status="Unknown"} 1
knapp_apps{condition="ServiceReady",reason="Ready",status="True"} 2
# HELP knapp_apps_list_errors_total Scrapes at which the Apps could not be listed from knapp's cache; knapp_apps is missing from those scrapes.
# TYPE knapp_apps_list_errors_total counter
knapp_apps_list_errors_total 0
`
	if err := testutil.CollectAndCompare(NewAppsCollector(c), strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// The collector asks the cache not to copy the Apps it only reads.
func TestAppsCollectorListsWithoutDeepCopy(t *testing.T) {
	var unsafe bool
	c := appsClient(t, &interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
		o := &client.ListOptions{}
		o.ApplyOptions(opts)
		unsafe = o.UnsafeDisableDeepCopy != nil && *o.UnsafeDisableDeepCopy
		return c.List(ctx, list, opts...)
	}})
	if _, err := testutil.CollectAndFormat(NewAppsCollector(c), expfmt.TypeTextPlain, "knapp_apps", "knapp_apps_list_errors_total"); err != nil {
		t.Fatal(err)
	}
	if !unsafe {
		t.Error("the Apps were listed with deep copies")
	}
}

// A List that fails leaves knapp_apps out and counts the failure, and the
// scrape itself succeeds (controller-runtime's handler fails a whole scrape
// on a collector's error).
func TestAppsCollectorListError(t *testing.T) {
	c := appsClient(t, &interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
		return errors.New("cache not started")
	}}, appWith("team-a", "shop", cond("Ready", "True", "Ready")))
	collector := NewAppsCollector(c)
	for range 2 {
		if _, err := testutil.CollectAndFormat(collector, expfmt.TypeTextPlain, "knapp_apps", "knapp_apps_list_errors_total"); err != nil {
			t.Fatalf("the scrape failed: %v", err)
		}
	}
	want := `
# HELP knapp_apps_list_errors_total Scrapes at which the Apps could not be listed from knapp's cache; knapp_apps is missing from those scrapes.
# TYPE knapp_apps_list_errors_total counter
knapp_apps_list_errors_total 3
`
	// The third scrape is CollectAndCompare's own.
	if err := testutil.CollectAndCompare(collector, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
