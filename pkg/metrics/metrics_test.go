package metrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Register adds every metric, with HELP, under knapp_ names, to the
// registry it is given; the known label values exist at 0 from the start.
func TestRegister(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if err := Register(reg, appsClient(t, nil)); err != nil {
		t.Fatal(err)
	}
	// Vectors without a series are not gathered: give each one.
	ReconcileErrors.WithLabelValues("Conflict")
	BuildsStarted.WithLabelValues("spec")
	BuildDuration.WithLabelValues("Succeeded")
	AppAdmissions.WithLabelValues("CREATE", AdmissionAllowed, "false")
	AppDefaulting.WithLabelValues("CREATE", DefaultingUnchanged)
	HookRequests.WithLabelValues(ProviderGitHub, "202")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if !strings.HasPrefix(mf.GetName(), "knapp_") || mf.GetHelp() == "" {
			t.Errorf("%s: want a knapp_ name and HELP text, help %q", mf.GetName(), mf.GetHelp())
		}
	}
	for _, want := range []string{
		"knapp_reconcile_errors_total", "knapp_builds_started_total", "knapp_builds_total", "knapp_build_duration_seconds",
		"knapp_podlogs_admissions_total", "knapp_app_admissions_total", "knapp_app_defaulting_total", "knapp_hook_requests_total",
		"knapp_apps_list_errors_total",
	} {
		if !names[want] {
			t.Errorf("%s is not registered (got %v)", want, names)
		}
	}
	for _, phase := range BuildPhases {
		if _, err := BuildsFinished.GetMetricWithLabelValues(phase); err != nil {
			t.Error(err)
		}
	}
	if err := Register(reg, nil); err == nil {
		t.Error("registering twice into one registry should fail")
	}
	if err := Register(prometheus.NewRegistry(), nil); err != nil {
		t.Errorf("a second registry without the Apps collector: %v", err)
	}
}

// The build duration buckets span container builds: 10s to an hour.
func TestBuildDurationBuckets(t *testing.T) {
	BuildDuration.WithLabelValues("Succeeded")
	text, err := testutil.CollectAndFormat(BuildDuration, expfmt.TypeTextPlain, "knapp_build_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	for _, le := range []string{`le="10"`, `le="300"`, `le="3600"`, `le="+Inf"`} {
		if !strings.Contains(string(text), le) {
			t.Errorf("no bucket %s in\n%s", le, text)
		}
	}
}

func TestErrorReason(t *testing.T) {
	gr := schema.GroupResource{Group: "serving.knative.dev", Resource: "services"}
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{apierrors.NewConflict(gr, "shop", errors.New("changed")), "Conflict"},
		{apierrors.NewAlreadyExists(gr, "shop"), "AlreadyExists"},
		{apierrors.NewNotFound(gr, "shop"), "NotFound"},
		{apierrors.NewForbidden(gr, "shop", errors.New("rbac")), "Forbidden"},
		{apierrors.NewUnauthorized("who"), "Unauthorized"},
		{apierrors.NewTimeoutError("slow", 1), "Timeout"},
		{apierrors.NewServerTimeout(gr, "get", 1), "Timeout"},
		{context.DeadlineExceeded, "Timeout"},
		{apierrors.NewTooManyRequests("later", 1), "TooManyRequests"},
		{apierrors.NewInvalid(schema.GroupKind{Kind: "App"}, "shop", field.ErrorList{field.Required(field.NewPath("spec"), "")}), "Invalid"},
		{apierrors.NewBadRequest("bad"), "Invalid"},
		{apierrors.NewInternalError(errors.New("etcd")), "ServerError"},
		{apierrors.NewServiceUnavailable("down"), "ServerError"},
		{&meta.NoKindMatchError{GroupKind: schema.GroupKind{Kind: "PingSource"}}, "NoKindMatch"},
		{errors.New("build cannot start"), "Other"},
		// Wrapped and joined, as the reconciler returns them.
		{fmt.Errorf("creating VirtualService x: %w", apierrors.NewForbidden(gr, "x", errors.New("rbac"))), "Forbidden"},
		{errors.Join(errors.New("build cannot start"), apierrors.NewConflict(gr, "shop", errors.New("changed"))), "Conflict"},
	}
	for _, tc := range tests {
		if got := ErrorReason(tc.err); got != tc.want {
			t.Errorf("ErrorReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
