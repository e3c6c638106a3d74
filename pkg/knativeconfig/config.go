package knativeconfig

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingconfig "knative.dev/serving/pkg/apis/config"
	autoscalerconfig "knative.dev/serving/pkg/autoscaler/config"
)

// ConfigMapNames are Knative Serving's config maps that change how it
// defaults and validates a Service.
var ConfigMapNames = []string{
	servingconfig.DefaultsConfigName,
	servingconfig.FeaturesConfigName,
	autoscalerconfig.ConfigName,
}

// ConfigError says one of Knative's config maps does not parse; a retry
// cannot fix it, a change of the config map can.
type ConfigError struct {
	ConfigMap string
	Err       error
}

func (e *ConfigError) Error() string {
	return "knative-serving/" + e.ConfigMap + ": " + e.Err.Error()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// FromData builds Knative's configuration from the config maps' data, by
// name; a missing config map means Knative's built-in defaults, as in a
// default install.
func FromData(data map[string]map[string]string) (*servingconfig.Config, error) {
	defaults, err := servingconfig.NewDefaultsConfigFromMap(data[servingconfig.DefaultsConfigName])
	if err != nil {
		return nil, &ConfigError{ConfigMap: servingconfig.DefaultsConfigName, Err: err}
	}
	features, err := servingconfig.NewFeaturesConfigFromMap(data[servingconfig.FeaturesConfigName])
	if err != nil {
		return nil, &ConfigError{ConfigMap: servingconfig.FeaturesConfigName, Err: err}
	}
	autoscaler, err := autoscalerconfig.NewConfigFromMap(data[autoscalerconfig.ConfigName])
	if err != nil {
		return nil, &ConfigError{ConfigMap: autoscalerconfig.ConfigName, Err: err}
	}
	return &servingconfig.Config{Defaults: defaults, Features: features, Autoscaler: autoscaler}, nil
}

// Default is the configuration of a default Knative install.
func Default() *servingconfig.Config {
	return servingconfig.FromContextOrDefaults(context.Background())
}

// Load reads Knative's config maps from its namespace through reader.
func Load(ctx context.Context, reader client.Reader, namespace string) (*servingconfig.Config, error) {
	data := make(map[string]map[string]string, len(ConfigMapNames))
	for _, name := range ConfigMapNames {
		var cm corev1.ConfigMap
		err := reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &cm)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("reading %s/%s: %w", namespace, name, err)
		default:
			data[name] = cm.Data
		}
	}
	return FromData(data)
}

// ToContext attaches the configuration to ctx, where Knative's SetDefaults
// and Validate look for it.
func ToContext(ctx context.Context, cfg *servingconfig.Config) context.Context {
	return servingconfig.ToContext(ctx, cfg)
}
