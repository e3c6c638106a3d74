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

// FromData builds Knative's configuration from the config maps' data, by
// name; a missing config map means Knative's built-in defaults, as in a
// default install.
func FromData(data map[string]map[string]string) (*servingconfig.Config, error) {
	defaults, err := servingconfig.NewDefaultsConfigFromMap(data[servingconfig.DefaultsConfigName])
	if err != nil {
		return nil, fmt.Errorf("knative-serving/%s: %w", servingconfig.DefaultsConfigName, err)
	}
	features, err := servingconfig.NewFeaturesConfigFromMap(data[servingconfig.FeaturesConfigName])
	if err != nil {
		return nil, fmt.Errorf("knative-serving/%s: %w", servingconfig.FeaturesConfigName, err)
	}
	autoscaler, err := autoscalerconfig.NewConfigFromMap(data[autoscalerconfig.ConfigName])
	if err != nil {
		return nil, fmt.Errorf("knative-serving/%s: %w", autoscalerconfig.ConfigName, err)
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
