package appvalidation

import (
	"context"
	"fmt"

	servingconfig "knative.dev/serving/pkg/apis/config"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/pkg/knativeconfig"
)

// KnativeConfig gives the Knative Serving configuration an App is checked
// under: the cluster's, read as the reconciler reads it, so that admission
// and reconcile agree on what Knative allows.
type KnativeConfig func(context.Context) (*servingconfig.Config, error)

// ClusterKnativeConfig reads Knative's config maps in namespace through
// reader (the manager's cache, which the reconciler reads them from too).
func ClusterKnativeConfig(reader client.Reader, namespace string) KnativeConfig {
	return func(ctx context.Context) (*servingconfig.Config, error) {
		cfg, err := knativeconfig.Load(ctx, reader, namespace)
		if err != nil {
			return nil, fmt.Errorf("reading Knative Serving's configuration, which the App is checked against: %w", err)
		}
		return cfg, nil
	}
}

// DefaultKnativeConfig is a default Knative install's configuration.
func DefaultKnativeConfig(context.Context) (*servingconfig.Config, error) {
	return knativeconfig.Default(), nil
}
