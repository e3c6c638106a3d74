package v1alpha1

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScalingFromSpec is ScalingSource.From of a value the App sets itself.
const ScalingFromSpec = "spec.scaling"

// EffectiveScaling is the App's own scaling with every field it leaves
// unset taken from env, the defaults of its environment envName: the App
// wins. The sources list every set value and where it came from, in the
// order of Scaling's fields.
func EffectiveScaling(own *Scaling, env Scaling, envName string) (Scaling, []ScalingSource) {
	var s Scaling
	if own != nil {
		s = *own
	}
	var sources []ScalingSource
	fromEnv := "environment " + envName
	record := func(setting, value string, ownSet bool) {
		from := ScalingFromSpec
		if !ownSet {
			from = fromEnv
		}
		sources = append(sources, ScalingSource{Setting: setting, Value: value, From: from})
	}
	ints := []struct {
		setting string
		own     **int32
		env     *int32
	}{
		{"minScale", &s.MinScale, env.MinScale},
		{"maxScale", &s.MaxScale, env.MaxScale},
		{"target", &s.Target, env.Target},
		{"initialScale", &s.InitialScale, env.InitialScale},
		{"targetUtilization", &s.TargetUtilization, env.TargetUtilization},
		{"activationScale", &s.ActivationScale, env.ActivationScale},
		{"panicWindowPercentage", &s.PanicWindowPercentage, env.PanicWindowPercentage},
		{"panicThresholdPercentage", &s.PanicThresholdPercentage, env.PanicThresholdPercentage},
	}
	for _, f := range ints {
		ownSet := *f.own != nil
		if !ownSet {
			*f.own = f.env
		}
		if *f.own != nil {
			record(f.setting, strconv.Itoa(int(**f.own)), ownSet)
		}
	}
	if ownSet := s.Metric != ""; ownSet || env.Metric != "" {
		if !ownSet {
			s.Metric = env.Metric
		}
		record("metric", string(s.Metric), ownSet)
	}
	durations := []struct {
		setting string
		own     **metav1.Duration
		env     *metav1.Duration
	}{
		{"scaleDownDelay", &s.ScaleDownDelay, env.ScaleDownDelay},
		{"window", &s.Window, env.Window},
	}
	for _, f := range durations {
		ownSet := *f.own != nil
		if !ownSet {
			*f.own = f.env
		}
		if *f.own != nil {
			record(f.setting, (*f.own).Duration.String(), ownSet)
		}
	}
	return s, sources
}
