package chart

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// loadRendered writes the rendered ConfigMap's platform.yaml to a file and
// loads it with platform.Load, as the manager does with --platform-config.
func loadRendered(t *testing.T, r rendered) platform.Config {
	t.Helper()
	var cm corev1.ConfigMap
	decodeStrict(t, r.Get(t, "ConfigMap", "knapp-platform", namespace), &cm)
	path := filepath.Join(t.TempDir(), "platform.yaml")
	if err := os.WriteFile(path, []byte(cm.Data["platform.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := platform.Load(path)
	if err != nil {
		t.Fatalf("platform.Load of the rendered config: %v\n%s", err, cm.Data["platform.yaml"])
	}
	return cfg
}

// TestPlatformDefaults: the chart's defaults are knapp's built-in ones.
func TestPlatformDefaults(t *testing.T) {
	if got := loadRendered(t, render(t, "")); !reflect.DeepEqual(got, platform.Default()) {
		t.Errorf("the chart's platform defaults load as\n%+v\nknapp's built-in ones are\n%+v", got, platform.Default())
	}
}

// TestPlatformValues: every platform value reaches knapp's config exactly.
// The environments name dev, staging and prod, because platform.Load
// merges the file's environments into its built-in ones.
func TestPlatformValues(t *testing.T) {
	r := render(t, `
platform:
  clusterName: eu1
  domainSuffix: apps.example.org
  environments:
    dev: {minScale: 0, maxScale: 3}
    staging: {minScale: 1}
    prod: {minScale: 2, maxScale: 50, initialScale: 2, scaleDownDelay: 15m, window: 2m, targetUtilization: 80, activationScale: 2, panicWindowPercentage: 20, panicThresholdPercentage: 300, target: 50, metric: rps}
    perf: {maxScale: 100}
  knativeServingNamespace: serving
  externalGateway: istio-ingress/public-gateway
  localGatewayHost: local-gateway.istio-ingress.svc.k8s.example.org
  clusterDomain: k8s.example.org
  urlScheme: https
  buildTemplate: {name: company-build, clusterScope: false}
  logRoot: /data/logs
  hosts: {reserved: [login, www], byNamespace: {team-a: [shop, shop-eu]}}
  builds: {clusterTemplates: [kaniko], imageRepositoryPrefix: "registry.example.com/{namespace}/"}
`)
	want := platform.Config{
		ClusterName:  "eu1",
		DomainSuffix: "apps.example.org",
		Environments: map[string]platform.Environment{
			"dev":     {Scaling: v1alpha1.Scaling{MinScale: ptr.To[int32](0), MaxScale: ptr.To[int32](3)}},
			"staging": {Scaling: v1alpha1.Scaling{MinScale: ptr.To[int32](1)}},
			"prod": {Scaling: v1alpha1.Scaling{MinScale: ptr.To[int32](2), MaxScale: ptr.To[int32](50),
				InitialScale: ptr.To[int32](2), ScaleDownDelay: &metav1.Duration{Duration: 15 * time.Minute}, Window: &metav1.Duration{Duration: 2 * time.Minute},
				TargetUtilization: ptr.To[int32](80), ActivationScale: ptr.To[int32](2), PanicWindowPercentage: ptr.To[int32](20),
				PanicThresholdPercentage: ptr.To[int32](300), Target: ptr.To[int32](50), Metric: v1alpha1.ScalingMetricRPS}},
			"perf": {Scaling: v1alpha1.Scaling{MaxScale: ptr.To[int32](100)}},
		},
		KnativeServingNamespace: "serving",
		ExternalGateway:         "istio-ingress/public-gateway",
		LocalGatewayHost:        "local-gateway.istio-ingress.svc.k8s.example.org",
		ClusterDomain:           "k8s.example.org",
		URLScheme:               "https",
		BuildTemplate:           platform.BuildTemplate{Name: "company-build", ClusterScope: false},
		LogRoot:                 "/data/logs",
		Hosts:                   platform.HostPolicy{Reserved: []string{"login", "www"}, ByNamespace: map[string][]string{"team-a": {"shop", "shop-eu"}}},
		Builds:                  platform.BuildPolicy{ClusterTemplates: []string{"kaniko"}, ImageRepositoryPrefix: "registry.example.com/{namespace}/"},
		Analysis:                platform.Analysis{TenantLabel: platform.DefaultTenantLabel},
	}
	if got := loadRendered(t, r); !reflect.DeepEqual(got, want) {
		t.Errorf("loaded\n%+v\nwant\n%+v", got, want)
	}
}

// TestPlatformAnalysis: the analysis settings reach knapp's config, and a
// bearer token Secret is mounted where bearerTokenFile points.
func TestPlatformAnalysis(t *testing.T) {
	r := render(t, `
platform:
  analysis:
    prometheusURL: http://prometheus.monitoring.svc:9090
    onError: rollback
    tenantLabel: kubernetes_namespace
    queries: {requests: 'sum(increase(requests_total{revision="{{.Revision}}"}[{{.Interval}}]))'}
prometheusBearerTokenSecret: prometheus-reader
`)
	got := loadRendered(t, r).Analysis
	want := platform.Analysis{
		PrometheusURL:   "http://prometheus.monitoring.svc:9090",
		BearerTokenFile: "/etc/knapp/prometheus/token",
		OnError:         platform.OnErrorRollback,
		TenantLabel:     "kubernetes_namespace",
		Queries:         platform.AnalysisQueries{Requests: `sum(increase(requests_total{revision="{{.Revision}}"}[{{.Interval}}]))`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("analysis loaded as %+v, want %+v", got, want)
	}
	var d appsv1.Deployment
	decodeStrict(t, r.Get(t, "Deployment", "knapp", namespace), &d)
	mounted := false
	for _, m := range d.Spec.Template.Spec.Containers[0].VolumeMounts {
		mounted = mounted || m.Name == "prometheus-token" && m.MountPath+"/token" == want.BearerTokenFile
	}
	secret := false
	for _, v := range d.Spec.Template.Spec.Volumes {
		secret = secret || v.Secret != nil && v.Secret.SecretName == "prometheus-reader" && len(v.Secret.Items) == 1 && v.Secret.Items[0].Key == "token"
	}
	if !mounted || !secret {
		t.Errorf("the token Secret prometheus-reader is not mounted at %s: %+v %+v", want.BearerTokenFile, d.Spec.Template.Spec.Volumes, d.Spec.Template.Spec.Containers[0].VolumeMounts)
	}
}
