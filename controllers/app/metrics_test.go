package app

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/metrics"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

func condStatus(conds ...metav1.Condition) *v1alpha1.AppStatus {
	return &v1alpha1.AppStatus{Conditions: conds}
}

func condOf(t string, s metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: reason + " message"}
}

func TestNewlyFalse(t *testing.T) {
	invalid := condOf(v1alpha1.ConditionServiceReady, metav1.ConditionFalse, v1alpha1.ReasonInvalidSpec)
	conflict := condOf(v1alpha1.ConditionDomainReady, metav1.ConditionFalse, v1alpha1.ReasonDomainConflict)
	readyFalse := condOf(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInvalidSpec)
	tests := []struct {
		name                    string
		before, after, previous *v1alpha1.AppStatus
		want                    []string
	}{
		{"first report", condStatus(), condStatus(invalid, conflict, readyFalse), nil,
			[]string{v1alpha1.ReasonInvalidSpec, v1alpha1.ReasonDomainConflict}},
		{"from True", condStatus(condOf(v1alpha1.ConditionServiceReady, metav1.ConditionTrue, "Ready")), condStatus(invalid), nil,
			[]string{v1alpha1.ReasonInvalidSpec}},
		{"another reason", condStatus(condOf(v1alpha1.ConditionServiceReady, metav1.ConditionFalse, v1alpha1.ReasonRevisionNotFound)), condStatus(invalid), nil,
			[]string{v1alpha1.ReasonInvalidSpec}},
		{"still False, new message", condStatus(invalid), condStatus(func() metav1.Condition { c := invalid; c.Message = "other"; return c }()), nil, nil},
		{"written already, cache behind", condStatus(), condStatus(invalid), condStatus(invalid), nil},
		{"APIError is counted through the error", condStatus(),
			condStatus(condOf(v1alpha1.ConditionServiceReady, metav1.ConditionFalse, v1alpha1.ReasonAPIError)), nil, nil},
		{"Unknown is no failure", condStatus(),
			condStatus(condOf(v1alpha1.ConditionServiceReady, metav1.ConditionUnknown, v1alpha1.ReasonDeploying)), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := newlyFalse(tc.before, tc.after, tc.previous); !slices.Equal(got, tc.want) {
				t.Errorf("newlyFalse = %q, want %q", got, tc.want)
			}
		})
	}
}

func buildsStatus(recs ...v1alpha1.BuildRecord) *v1alpha1.AppStatus {
	return &v1alpha1.AppStatus{Build: &v1alpha1.BuildStatus{Builds: recs}}
}

func rec(workflow, phase string) v1alpha1.BuildRecord {
	return v1alpha1.BuildRecord{Workflow: workflow, Phase: phase}
}

func TestNewlyFinished(t *testing.T) {
	tests := []struct {
		name                    string
		before, after, previous *v1alpha1.AppStatus
		want                    []string
	}{
		{"running to succeeded", buildsStatus(rec("b1", "Running")), buildsStatus(rec("b1", "Succeeded")), nil, []string{"b1"}},
		{"every terminal phase", buildsStatus(rec("b1", "Running"), rec("b2", "Pending"), rec("b3", "Running")),
			buildsStatus(rec("b1", "Succeeded"), rec("b2", "Failed"), rec("b3", "Error")), nil, []string{"b1", "b2", "b3"}},
		{"finished before", buildsStatus(rec("b1", "Succeeded")), buildsStatus(rec("b1", "Succeeded")), nil, nil},
		{"still running", buildsStatus(rec("b1", "Pending")), buildsStatus(rec("b1", "Running")), nil, nil},
		{"a build that ran between two reconciles", buildsStatus(rec("b1", "Succeeded")),
			buildsStatus(rec("b2", "Failed"), rec("b1", "Succeeded")), nil, []string{"b2"}},
		{"written already, cache behind", buildsStatus(rec("b1", "Running")), buildsStatus(rec("b1", "Succeeded")),
			buildsStatus(rec("b1", "Succeeded")), nil},
		{"cache behind the first status.build", condStatus(), buildsStatus(rec("b1", "Succeeded")),
			buildsStatus(rec("b1", "Pending")), []string{"b1"}},
		{"spec.build added back: old builds are not new", condStatus(), buildsStatus(rec("b1", "Succeeded"), rec("b0", "Failed")), nil, nil},
		{"spec.build removed", buildsStatus(rec("b1", "Running")), condStatus(), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range newlyFinished(tc.before, tc.after, tc.previous) {
				got = append(got, r.Workflow)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("newlyFinished = %q, want %q", got, tc.want)
			}
		})
	}
}

// A status write counts each newly finished build in knapp_builds_total and
// its run time in knapp_build_duration_seconds, and each newly False
// condition in knapp_reconcile_errors_total; writing it again counts nothing.
func TestObserveStatusWrite(t *testing.T) {
	start := metav1.NewTime(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	finish := metav1.NewTime(start.Add(95 * time.Second))
	done := rec("b1", "Succeeded")
	done.StartedAt, done.FinishedAt = &start, &finish
	noTimes := rec("b2", "Failed")
	before := buildsStatus(rec("b1", "Running"), rec("b2", "Running"))
	after := buildsStatus(done, noTimes)
	after.Conditions = []metav1.Condition{condOf(v1alpha1.ConditionBuildSucceeded, metav1.ConditionFalse, "BuildFailed")}

	succeeded, failed := metrics.BuildsFinished.WithLabelValues("Succeeded"), metrics.BuildsFinished.WithLabelValues("Failed")
	buildFailed := metrics.ReconcileErrors.WithLabelValues("BuildFailed")
	s0, f0, e0 := testutil.ToFloat64(succeeded), testutil.ToFloat64(failed), testutil.ToFloat64(buildFailed)
	h0 := histogramCount(t, "Succeeded")

	observeStatusWrite(before, after, nil)
	observeStatusWrite(after, after, nil)    // a resync
	observeStatusWrite(before, after, after) // a reconcile against a stale cache

	if d := testutil.ToFloat64(succeeded) - s0; d != 1 {
		t.Errorf("knapp_builds_total{phase=Succeeded} +%v, want +1", d)
	}
	if d := testutil.ToFloat64(failed) - f0; d != 1 {
		t.Errorf("knapp_builds_total{phase=Failed} +%v, want +1", d)
	}
	if d := histogramCount(t, "Succeeded") - h0; d != 1 {
		t.Errorf("knapp_build_duration_seconds{phase=Succeeded} observed %v times, want 1", d)
	}
	if d := testutil.ToFloat64(buildFailed) - e0; d != 1 {
		t.Errorf("knapp_reconcile_errors_total{reason=BuildFailed} +%v, want +1", d)
	}
}

// histogramCount is the number of observations of the phase's build
// duration (testutil.ToFloat64 reads only counters, gauges and untyped).
func histogramCount(t *testing.T, phase string) float64 {
	t.Helper()
	m := &dto.Metric{}
	if err := metrics.BuildDuration.WithLabelValues(phase).(prometheus.Histogram).Write(m); err != nil {
		t.Fatal(err)
	}
	return float64(m.GetHistogram().GetSampleCount())
}

// A reconcile that returns an error counts once, by the API error's class.
func TestObserveReconcileError(t *testing.T) {
	conflict := metrics.ReconcileErrors.WithLabelValues("Conflict")
	other := metrics.ReconcileErrors.WithLabelValues("Other")
	c0, o0 := testutil.ToFloat64(conflict), testutil.ToFloat64(other)
	observeReconcileError(nil)
	observeReconcileError(errors.Join(errors.New("build cannot start"),
		apierrors.NewConflict(schema.GroupResource{Resource: "apps"}, "shop", errors.New("changed"))))
	observeReconcileError(errors.New("build cannot start"))
	if d := testutil.ToFloat64(conflict) - c0; d != 1 {
		t.Errorf("Conflict +%v, want +1", d)
	}
	if d := testutil.ToFloat64(other) - o0; d != 1 {
		t.Errorf("Other +%v, want +1", d)
	}
}

// Each build Workflow knapp creates counts once in knapp_builds_started_total,
// by trigger; a build that exists already does not count again.
func TestStartBuildIsCounted(t *testing.T) {
	ctx := context.Background()
	app := buildTestApp("main")
	c := buildTestClient(t, nil)
	tmpl := platformBuildTemplateStub()
	if err := c.Create(ctx, tmpl); err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(10), Platform: platform.Default()}
	spec, hook := metrics.BuildsStarted.WithLabelValues("spec"), metrics.BuildsStarted.WithLabelValues("hook")
	s0, h0 := testutil.ToFloat64(spec), testutil.ToFloat64(hook)

	if _, err := r.startBuild(ctx, app, specTrigger(app.Spec.Build)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.startBuild(ctx, app, specTrigger(app.Spec.Build)); !errors.Is(err, errBuildExists) {
		t.Fatalf("starting the same build again: %v", err)
	}
	if _, err := r.startBuild(ctx, app, resources.BuildTrigger{Revision: "0123abc", Source: resources.BuildTriggerHook}); err != nil {
		t.Fatal(err)
	}
	if d := testutil.ToFloat64(spec) - s0; d != 1 {
		t.Errorf("knapp_builds_started_total{trigger=spec} +%v, want +1", d)
	}
	if d := testutil.ToFloat64(hook) - h0; d != 1 {
		t.Errorf("knapp_builds_started_total{trigger=hook} +%v, want +1", d)
	}
}
