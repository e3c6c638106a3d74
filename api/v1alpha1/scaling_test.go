package v1alpha1

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The App wins over its environment field by field, and every value in
// effect says where it came from.
func TestEffectiveScalingTakesTheAppsOwnValuesFirst(t *testing.T) {
	own := &Scaling{MinScale: ptr.To[int32](0), Window: &metav1.Duration{Duration: time.Minute}, Metric: ScalingMetricRPS}
	env := Scaling{
		MinScale: ptr.To[int32](1), MaxScale: ptr.To[int32](50), InitialScale: ptr.To[int32](2),
		ScaleDownDelay: &metav1.Duration{Duration: 15 * time.Minute}, Window: &metav1.Duration{Duration: 2 * time.Minute},
		Metric: ScalingMetricConcurrency,
	}
	got, sources := EffectiveScaling(own, env, "prod")
	want := Scaling{
		MinScale: ptr.To[int32](0), MaxScale: ptr.To[int32](50), InitialScale: ptr.To[int32](2),
		ScaleDownDelay: &metav1.Duration{Duration: 15 * time.Minute}, Window: &metav1.Duration{Duration: time.Minute},
		Metric: ScalingMetricRPS,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("effective scaling\n%+v\nwant\n%+v", got, want)
	}
	wantSources := []ScalingSource{
		{"minScale", "0", "spec.scaling"},
		{"maxScale", "50", "environment prod"},
		{"initialScale", "2", "environment prod"},
		{"metric", "rps", "spec.scaling"},
		{"scaleDownDelay", "15m0s", "environment prod"},
		{"window", "1m0s", "spec.scaling"},
	}
	if !reflect.DeepEqual(sources, wantSources) {
		t.Errorf("sources\n%+v\nwant\n%+v", sources, wantSources)
	}
	if *own.MinScale != 0 || own.MaxScale != nil {
		t.Errorf("the App's own scaling was changed: %+v", own)
	}
}

func TestEffectiveScalingOfNothingIsNothing(t *testing.T) {
	got, sources := EffectiveScaling(nil, Scaling{}, "")
	if !reflect.DeepEqual(got, Scaling{}) || sources != nil {
		t.Errorf("got %+v, %+v", got, sources)
	}
}
