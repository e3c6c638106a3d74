package knativeconfig

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	servingconfig "knative.dev/serving/pkg/apis/config"
)

func TestDefaultIsAKnativeDefaultInstall(t *testing.T) {
	cfg := Default()
	if cfg.Defaults.RevisionTimeoutSeconds != 300 || cfg.Autoscaler == nil || cfg.Features == nil {
		t.Fatalf("got %+v", cfg)
	}
}

func TestLoadReadsTheClustersConfigMaps(t *testing.T) {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "knative-serving", Name: servingconfig.DefaultsConfigName},
		Data:       map[string]string{"revision-timeout-seconds": "120"},
	}
	reader := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(cm).Build()
	cfg, err := Load(context.Background(), reader, "knative-serving")
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(cfg.Defaults.RevisionTimeoutSeconds) * time.Second; got != 2*time.Minute {
		t.Errorf("revision timeout %s, want the cluster's 2m", got)
	}
	// Absent config maps mean Knative's built-in defaults.
	if cfg.Autoscaler.MaxScaleLimit != Default().Autoscaler.MaxScaleLimit {
		t.Errorf("autoscaler not defaulted: %+v", cfg.Autoscaler)
	}
}

func TestFromDataNamesTheBadConfigMap(t *testing.T) {
	_, err := FromData(map[string]map[string]string{"config-autoscaler": {"max-scale-limit": "ten"}})
	if err == nil || !strings.Contains(err.Error(), "knative-serving/config-autoscaler") {
		t.Fatalf("want the config map named, got %v", err)
	}
}
