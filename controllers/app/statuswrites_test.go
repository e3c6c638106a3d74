package app

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/api/v1alpha1"
)

func TestStatusWritesSkipsOnlyARepeatAgainstAStaleApp(t *testing.T) {
	var w statusWrites
	app := &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-a", ResourceVersion: "10"}}
	app.Status.MarkCondition(v1alpha1.ConditionServiceReady, metav1.ConditionUnknown, v1alpha1.ReasonDeploying, "rolling out")
	w.wrote(app, "10")

	again := app.Status.DeepCopy()
	again.Conditions[0].LastTransitionTime = metav1.NewTime(time.Now().Add(time.Second))
	if !w.alreadyWritten(app, again) {
		t.Error("the same status against the same stale version should be skipped")
	}
	changed := app.Status.DeepCopy()
	changed.MarkCondition(v1alpha1.ConditionServiceReady, metav1.ConditionTrue, v1alpha1.ReasonReady, "The Knative Service is ready.")
	if w.alreadyWritten(app, changed) {
		t.Error("a different status must be written")
	}
	caughtUp := app.DeepCopy()
	caughtUp.ResourceVersion = "11"
	if w.alreadyWritten(caughtUp, again) {
		t.Error("once the cache caught up, the normal comparison decides")
	}
	w.forget(types.NamespacedName{Namespace: "team-a", Name: "shop"})
	if w.alreadyWritten(app, again) {
		t.Error("a forgotten App must be written")
	}
}
