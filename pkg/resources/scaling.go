package resources

import (
	"strconv"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knative.dev/serving/pkg/apis/autoscaling"
)

// ScalingAnnotations are the autoscaling annotations of the revision
// template: the App's own scaling settings, else its environment's.
func ScalingAnnotations(app *v1alpha1.App, env platform.Environment) map[string]string {
	var s v1alpha1.Scaling
	if app.Spec.Scaling != nil {
		s = *app.Spec.Scaling
	}
	out := map[string]string{}
	setInt := func(key string, own, fallback *int32) {
		if own == nil {
			own = fallback
		}
		if own != nil {
			out[key] = strconv.Itoa(int(*own))
		}
	}
	setInt(autoscaling.MinScaleAnnotationKey, s.MinScale, env.MinScale)
	setInt(autoscaling.MaxScaleAnnotationKey, s.MaxScale, env.MaxScale)
	setInt(autoscaling.TargetAnnotationKey, s.Target, nil)
	if s.Metric != "" {
		out[autoscaling.MetricAnnotationKey] = string(s.Metric)
		// The Knative Pod Autoscaler scales on concurrency and rps only; cpu
		// and memory need the Horizontal Pod Autoscaler class.
		if s.Metric == v1alpha1.ScalingMetricCPU || s.Metric == v1alpha1.ScalingMetricMemory {
			out[autoscaling.ClassAnnotationKey] = autoscaling.HPA
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
