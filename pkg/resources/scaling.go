package resources

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/serving/pkg/apis/autoscaling"
	autoscalerconfig "knative.dev/serving/pkg/autoscaler/config"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// ScalingAnnotations are the autoscaling annotations of the revision
// template: the App's own scaling settings, else its environment's
// (v1alpha1.EffectiveScaling).
func ScalingAnnotations(app *v1alpha1.App, env platform.Environment) map[string]string {
	s, _ := v1alpha1.EffectiveScaling(app.Spec.Scaling, env.Scaling, env.Name)
	return scalingAnnotations(s)
}

// scalingAnnotations writes each set field of s as Knative's annotation.
func scalingAnnotations(s v1alpha1.Scaling) map[string]string {
	out := map[string]string{}
	setInt := func(key string, v *int32) {
		if v != nil {
			out[key] = strconv.Itoa(int(*v))
		}
	}
	setDuration := func(key string, d *metav1.Duration) {
		if d != nil {
			out[key] = d.Duration.String()
		}
	}
	setInt(autoscaling.MinScaleAnnotationKey, s.MinScale)
	setInt(autoscaling.MaxScaleAnnotationKey, s.MaxScale)
	setInt(autoscaling.TargetAnnotationKey, s.Target)
	setInt(autoscaling.InitialScaleAnnotationKey, s.InitialScale)
	setInt(autoscaling.TargetUtilizationPercentageKey, s.TargetUtilization)
	setInt(autoscaling.ActivationScaleKey, s.ActivationScale)
	setInt(autoscaling.PanicWindowPercentageAnnotationKey, s.PanicWindowPercentage)
	setInt(autoscaling.PanicThresholdPercentageAnnotationKey, s.PanicThresholdPercentage)
	setDuration(autoscaling.ScaleDownDelayAnnotationKey, s.ScaleDownDelay)
	setDuration(autoscaling.WindowAnnotationKey, s.Window)
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

// ValidateEnvironments checks each environment's scaling defaults with
// Knative's own rules of the autoscaling annotations (under Knative's
// default autoscaler config), so a platform config that would make every
// App of an environment invalid fails at startup, naming the setting.
func ValidateEnvironments(cfg platform.Config) error {
	defaults, err := autoscalerconfig.NewConfigFromMap(nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range cfg.EnvironmentNames() {
		env := cfg.Environments[name]
		if ferr := autoscaling.ValidateAnnotations(context.Background(), defaults, scalingAnnotations(env.Scaling)); ferr != nil {
			for _, leaf := range ferr.WrappedErrors() {
				setting := "scaling"
				for _, p := range leaf.Paths {
					if f, ok := scalingField(p); ok {
						setting = f
					}
				}
				errs = append(errs, fmt.Errorf("environments.%s.%s: %s", name, setting, knativeDetail(leaf)))
			}
		}
	}
	return errors.Join(errs...)
}
