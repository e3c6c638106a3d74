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
	intField := func(setting string, own **int32, env *int32) {
		if ownSet := inherit(own, env); *own != nil {
			record(setting, strconv.Itoa(int(**own)), ownSet)
		}
	}
	durationField := func(setting string, own **metav1.Duration, env *metav1.Duration) {
		if ownSet := inherit(own, env); *own != nil {
			record(setting, (*own).Duration.String(), ownSet)
		}
	}
	intField("minScale", &s.MinScale, env.MinScale)
	intField("maxScale", &s.MaxScale, env.MaxScale)
	intField("target", &s.Target, env.Target)
	intField("initialScale", &s.InitialScale, env.InitialScale)
	intField("targetUtilization", &s.TargetUtilization, env.TargetUtilization)
	intField("activationScale", &s.ActivationScale, env.ActivationScale)
	intField("panicWindowPercentage", &s.PanicWindowPercentage, env.PanicWindowPercentage)
	intField("panicThresholdPercentage", &s.PanicThresholdPercentage, env.PanicThresholdPercentage)
	if ownSet := s.Metric != ""; ownSet || env.Metric != "" {
		if !ownSet {
			s.Metric = env.Metric
		}
		record("metric", string(s.Metric), ownSet)
	}
	durationField("scaleDownDelay", &s.ScaleDownDelay, env.ScaleDownDelay)
	durationField("window", &s.Window, env.Window)
	return s, sources
}

// inherit sets *own to env when the App left it unset, and reports whether
// the App had set it.
func inherit[T any](own **T, env *T) (ownSet bool) {
	if *own != nil {
		return true
	}
	*own = env
	return false
}
