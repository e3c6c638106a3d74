package knativedomain

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	netapi "knative.dev/networking/pkg/apis/networking"
	netcfg "knative.dev/networking/pkg/config"
	"knative.dev/pkg/kmeta"
	"knative.dev/pkg/network"
	servingcfg "knative.dev/serving/pkg/apis/config"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	routecfg "knative.dev/serving/pkg/reconciler/route/config"
	"knative.dev/serving/pkg/reconciler/route/domains"
	"knative.dev/serving/pkg/reconciler/route/traffic"
	"knative.dev/serving/pkg/reconciler/route/visibility"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

func TestDomainTemplateIsBuiltFromTheAPIConstants(t *testing.T) {
	// The const concatenates the keys between double quotes; that is a Go
	// template string literal only while no key needs escaping.
	for _, k := range []string{v1alpha1.AnnotationHost, v1alpha1.LabelApp} {
		if strconv.Quote(k) != `"`+k+`"` {
			t.Errorf("key %q needs escaping in a template string literal", k)
		}
	}
	const want = `{{if and (index .Annotations "knapp.dev/host") (eq .Name (index .Labels "knapp.dev/app"))}}` +
		`{{index .Annotations "knapp.dev/host"}}.{{.Domain}}{{else}}{{.Name}}.{{.Namespace}}.{{.Domain}}{{end}}`
	if DomainTemplate != want {
		t.Errorf("DomainTemplate\n got %s\nwant %s", DomainTemplate, want)
	}
}

func TestConfigMapsAreWhatKnativeParses(t *testing.T) {
	cfg := platform.Default()
	cd, cn := ConfigMaps(cfg)
	for _, cm := range []*corev1.ConfigMap{cd, cn} {
		if cm.Namespace != cfg.KnativeServingNamespace || cm.APIVersion != "v1" || cm.Kind != "ConfigMap" {
			t.Errorf("%s: got %v %s/%s", cm.Name, cm.TypeMeta, cm.Namespace, cm.Name)
		}
	}
	if cd.Name != "config-domain" || cn.Name != "config-network" {
		t.Errorf("names %s, %s", cd.Name, cn.Name)
	}
	if got, want := cd.Data, map[string]string{"sls-local.knapp.example.com": "selector:\n  knapp.dev/domain: platform\n"}; !maps.Equal(got, want) {
		t.Errorf("config-domain data %q, want %q", got, want)
	}

	domain, err := routecfg.NewDomainFromConfigMap(cd)
	if err != nil {
		t.Fatalf("Knative refuses config-domain: %v", err)
	}
	platformDomain, ok := domain.Domains[cfg.Domain()]
	if !ok || platformDomain.Type != "" ||
		!maps.Equal(platformDomain.Selector.Selector, map[string]string{v1alpha1.LabelDomain: v1alpha1.LabelDomainValue}) {
		t.Errorf("Knative reads %s as %+v", cfg.Domain(), platformDomain)
	}
	// Alone (a replaced config map), it has no default domain, so Knative
	// adds its own: the cluster-local one.
	if def, ok := domain.Domains[routecfg.DefaultDomain]; len(domain.Domains) != 2 || !ok || def.Selector.Selector != nil {
		t.Errorf("want only the platform's domain and Knative's cluster-local default, got %+v", domain.Domains)
	}

	network, err := netcfg.NewConfigFromConfigMap(cn)
	if err != nil {
		t.Fatalf("Knative refuses config-network: %v", err)
	}
	if network.DomainTemplate != DomainTemplate || network.TagTemplate != netcfg.DefaultTagTemplate {
		t.Errorf("Knative reads domain-template %q, tag-template %q", network.DomainTemplate, network.TagTemplate)
	}
}

// knativeStock reads a config map as Knative ships it (the version in
// go.mod, from the module cache): config-domain and config-network hold only
// their _example key, so config-domain has no default domain.
func knativeStock(t *testing.T, module, path string) *corev1.ConfigMap {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-json", module).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go list -m %s: no directory (run go mod download): %v", module, err)
	}
	data, err := os.ReadFile(filepath.Join(m.Dir, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{}
	if err := yaml.Unmarshal(data, cm); err != nil {
		t.Fatal(err)
	}
	return cm
}

func stockDomain(t *testing.T) *corev1.ConfigMap {
	return knativeStock(t, "knative.dev/serving", "config/core/configmaps/domain.yaml")
}

func stockNetwork(t *testing.T) *corev1.ConfigMap {
	return knativeStock(t, "knative.dev/networking", "config/config-network.yaml")
}

// Knative Serving's own config-domain has no default domain (example.com is
// only in _example), so Knative falls back to the cluster-local one; a
// default comes from the installer (the default-domain job's sslip.io) or
// the admin. That is why the shipped config-domain carries none.
func TestKnativeShipsNoDefaultDomain(t *testing.T) {
	stock := stockDomain(t)
	if _, ok := stock.Data["example.com"]; ok || len(stock.Data) != 1 {
		t.Errorf("Knative's config-domain has keys %v, want only _example", slices.Sorted(maps.Keys(stock.Data)))
	}
	domain, err := routecfg.NewDomainFromConfigMap(stock)
	if err != nil {
		t.Fatal(err)
	}
	if got := domain.LookupDomainForLabels(nil); got != clusterLocalDomain {
		t.Errorf("Knative's default domain %q, want %q", got, clusterLocalDomain)
	}
}

// withDefaultDomain is cm with the default domain example.com, as Knative's
// docs have an admin set it (Knative's default-domain job sets an sslip.io
// one instead).
func withDefaultDomain(cm *corev1.ConfigMap) *corev1.ConfigMap {
	cm = cm.DeepCopy()
	cm.Data["example.com"] = ""
	return cm
}

// merged is the cluster's config map with ours merged in, as
// kubectl patch --type merge -p '{"data":...}' does.
func merged(cluster, ours *corev1.ConfigMap) *corev1.ConfigMap {
	cm := cluster.DeepCopy()
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	maps.Copy(cm.Data, ours.Data)
	return cm
}

// routeContext is a context carrying the route reconciler's config as
// Knative builds it with its own parsers from the cluster's config-domain
// and config-network (knapp's keys merged in) and a default config-features.
func routeContext(t *testing.T, cfg platform.Config, clusterDomain, clusterNetwork *corev1.ConfigMap) context.Context {
	t.Helper()
	cd, cn := ConfigMaps(cfg)
	domain, err := routecfg.NewDomainFromConfigMap(merged(clusterDomain, cd))
	if err != nil {
		t.Fatal(err)
	}
	network, err := netcfg.NewConfigFromConfigMap(merged(clusterNetwork, cn))
	if err != nil {
		t.Fatal(err)
	}
	if network.DomainTemplate != DomainTemplate {
		t.Fatalf("merged config-network has domain-template %q", network.DomainTemplate)
	}
	features, err := servingcfg.NewFeaturesConfigFromMap(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The host functions read Domain and Network (FromContext panics without
	// a Config); GC is only for the route's garbage collection.
	return routecfg.ToContext(context.Background(), &routecfg.Config{Domain: domain, Network: network, Features: features})
}

// knativeService is a Knative Service as knapp writes it, for the labels
// and annotations that matter here: host "" is an App that lost a domain
// conflict.
func knativeService(name, namespace, host string) *servingv1.Service {
	svc := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: namespace,
		Labels: map[string]string{v1alpha1.LabelApp: name, v1alpha1.LabelDomain: v1alpha1.LabelDomainValue},
	}}
	if host != "" {
		svc.Annotations = map[string]string{v1alpha1.AnnotationHost: host}
	}
	return svc
}

func clusterLocal(svc *servingv1.Service) *servingv1.Service {
	svc.Labels[netapi.VisibilityLabelKey] = serving.VisibilityClusterLocal
	return svc
}

// route is the Route Knative's service reconciler makes of svc, as
// knative.dev/serving/pkg/reconciler/service/resources.MakeRoute does (a
// package this test does not import: it would add a dozen modules to
// go.mod): the Service's labels plus serving.knative.dev/service, its
// annotations but kubectl's last-applied-configuration, its traffic.
func route(svc *servingv1.Service) *servingv1.Route {
	return &servingv1.Route{
		ObjectMeta: metav1.ObjectMeta{
			Name:      svc.Name,
			Namespace: svc.Namespace,
			Annotations: kmeta.FilterMap(svc.GetAnnotations(), func(key string) bool {
				return key == corev1.LastAppliedConfigAnnotation
			}),
			Labels: kmeta.UnionMaps(svc.GetLabels(), map[string]string{serving.ServiceLabelKey: svc.Name}),
		},
		Spec: *svc.Spec.RouteSpec.DeepCopy(),
	}
}

// host is what Knative's route code computes for the route of svc and tag
// ("" the main route): the host name from the tag-template, the domain from
// config-domain and the domain-template.
func host(t *testing.T, ctx context.Context, svc *servingv1.Service, tag string) string {
	t.Helper()
	r := route(svc)
	name, err := domains.HostnameFromTemplate(ctx, r.Name, tag)
	if err != nil {
		t.Fatal(err)
	}
	got, err := domains.DomainNameFromTemplate(ctx, r.ObjectMeta, name)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// clusterLocalDomain is where Knative puts cluster-local routes:
// svc.cluster.local unless the process runs in a cluster with another
// domain (Knative reads it from /etc/resolv.conf or $CLUSTER_DOMAIN).
var clusterLocalDomain = "svc." + network.GetClusterDomainName()

func TestKnativeHosts(t *testing.T) {
	eu1 := platform.Default()
	eu1.ClusterName, eu1.DomainSuffix = "eu1", "apps.example.org"

	cases := []struct {
		name      string
		svc       *servingv1.Service
		tag       string
		wantLocal string // platform.Default()
		wantEU1   string
		// noDefault: the cluster's config-domain is Knative's as shipped,
		// without a default domain; else it has example.com.
		noDefault bool
	}{{
		name:      "main route drops the namespace",
		svc:       knativeService("shop", "team-a", "shop"),
		wantLocal: "shop.sls-local.knapp.example.com",
		wantEU1:   "shop.sls-eu1.apps.example.org",
	}, {
		name:      "domain.name is the host",
		svc:       knativeService("shop", "team-a", "store"),
		wantLocal: "store.sls-local.knapp.example.com",
		wantEU1:   "store.sls-eu1.apps.example.org",
	}, {
		name:      "the canary tag keeps Knative's default",
		svc:       knativeService("shop", "team-a", "store"),
		tag:       "canary",
		wantLocal: "canary-shop.team-a.sls-local.knapp.example.com",
		wantEU1:   "canary-shop.team-a.sls-eu1.apps.example.org",
	}, {
		name:      "an App that lost a domain conflict keeps Knative's default",
		svc:       knativeService("shop", "team-a", ""),
		wantLocal: "shop.team-a.sls-local.knapp.example.com",
		wantEU1:   "shop.team-a.sls-eu1.apps.example.org",
	}, {
		name:      "a Service not knapp's keeps the cluster's default domain",
		svc:       &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "team-b"}},
		wantLocal: "hello.team-b.example.com",
		wantEU1:   "hello.team-b.example.com",
	}, {
		name: "the annotation alone does not drop the namespace",
		svc: &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "team-b",
			Annotations: map[string]string{v1alpha1.AnnotationHost: "hello"}}},
		wantLocal: "hello.team-b.example.com",
		wantEU1:   "hello.team-b.example.com",
	}, {
		name:      "without a cluster default domain, a Service not knapp's is cluster-local",
		svc:       &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "team-b"}},
		noDefault: true,
		wantLocal: "hello.team-b." + clusterLocalDomain,
		wantEU1:   "hello.team-b." + clusterLocalDomain,
	}, {
		name:      "knapp's Services do not need a cluster default domain",
		svc:       knativeService("shop", "team-a", "shop"),
		noDefault: true,
		wantLocal: "shop.sls-local.knapp.example.com",
		wantEU1:   "shop.sls-eu1.apps.example.org",
	}, {
		// Knative gives the visibility label precedence over config-domain
		// and executes its default template, not the platform's.
		name:      "a cluster-local route keeps its namespace",
		svc:       clusterLocal(knativeService("shop", "team-a", "shop")),
		wantLocal: "shop.team-a." + clusterLocalDomain,
		wantEU1:   "shop.team-a." + clusterLocalDomain,
	}, {
		name:      "a cluster-local tag",
		svc:       clusterLocal(knativeService("shop", "team-a", "shop")),
		tag:       "canary",
		wantLocal: "canary-shop.team-a." + clusterLocalDomain,
		wantEU1:   "canary-shop.team-a." + clusterLocalDomain,
	}}
	domainCM, networkCM := stockDomain(t), stockNetwork(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clusterDomain := domainCM
			if !tc.noDefault {
				clusterDomain = withDefaultDomain(clusterDomain)
			}
			for _, p := range []struct {
				cfg  platform.Config
				want string
			}{{platform.Default(), tc.wantLocal}, {eu1, tc.wantEU1}} {
				ctx := routeContext(t, p.cfg, clusterDomain, networkCM)
				if got := host(t, ctx, tc.svc.DeepCopy(), tc.tag); got != p.want {
					t.Errorf("%s: Knative makes %q, want %q", p.cfg.Domain(), got, p.want)
				}
			}
		})
	}
}

// The route reconciler's own path: visibility from config-domain and the
// route's placeholder Services, then every host of the route's traffic
// names, as the Ingress gets them.
func TestRouteReconcilerHosts(t *testing.T) {
	cfg := platform.Default()
	shop := knativeService("shop", "team-a", "store")
	shop.Spec.Traffic = []servingv1.TrafficTarget{
		{RevisionName: "shop-1a2b3c4d5e", Percent: ptr(int64(90))},
		{Tag: "canary", LatestRevision: ptr(true), Percent: ptr(int64(10))},
	}
	hello := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "team-b"}}
	noPlaceholders := corelisters.NewServiceLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}))
	domainCM, networkCM := stockDomain(t), stockNetwork(t)

	for _, tc := range []struct {
		name          string
		svc           *servingv1.Service
		clusterDomain *corev1.ConfigMap
		want          map[string]string // host -> traffic name
	}{{
		name:          "App with a canary",
		svc:           shop,
		clusterDomain: withDefaultDomain(domainCM),
		want: map[string]string{
			"store.sls-local.knapp.example.com":              traffic.DefaultTarget,
			"canary-shop.team-a.sls-local.knapp.example.com": "canary",
		},
	}, {
		name:          "cluster-local App with a canary",
		svc:           clusterLocal(shop.DeepCopy()),
		clusterDomain: withDefaultDomain(domainCM),
		want: map[string]string{
			"shop.team-a." + clusterLocalDomain:        traffic.DefaultTarget,
			"canary-shop.team-a." + clusterLocalDomain: "canary",
		},
	}, {
		name:          "not knapp's, cluster default domain",
		svc:           hello,
		clusterDomain: withDefaultDomain(domainCM),
		want:          map[string]string{"hello.team-b.example.com": traffic.DefaultTarget},
	}, {
		// config-domain makes the route cluster-local (its domain is the
		// cluster-local one), so Knative sets the visibility label and uses
		// its default template.
		name:          "not knapp's, no cluster default domain",
		svc:           hello,
		clusterDomain: domainCM,
		want:          map[string]string{"hello.team-b." + clusterLocalDomain: traffic.DefaultTarget},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := routeContext(t, cfg, tc.clusterDomain, networkCM)
			r := route(tc.svc)
			vis, err := visibility.NewResolver(noPlaceholders).GetVisibility(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			names := []string{traffic.DefaultTarget}
			for _, tt := range r.Spec.Traffic {
				if tt.Tag != "" {
					names = append(names, tt.Tag)
				}
			}
			got, err := domains.GetAllDomainsAndTags(ctx, r, names, vis)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("Knative gives the route the hosts %v, want %v", got, tc.want)
			}
		})
	}
}

// Knative's namespace wildcard certificates (nscert) execute the template
// with Name "*", the namespace and no labels or annotations, so they cover
// *.<namespace>.<domain>: tagged hosts, not an App's main host.
func TestNamespaceWildcardCertificatesMissTheMainHost(t *testing.T) {
	_, cn := ConfigMaps(platform.Default())
	network, err := netcfg.NewConfigFromConfigMap(cn)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	data := netcfg.DomainTemplateValues{Name: "*", Namespace: "team-a", Domain: "sls-local.knapp.example.com"}
	if err := network.GetDomainTemplate().Execute(&buf, data); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "*.team-a.sls-local.knapp.example.com"; got != want {
		t.Errorf("wildcard %q, want %q", got, want)
	}
}

// Why config-domain ships without a default domain: merged into a cluster
// whose default is not alphabetically first, Knative would take ours.
func TestAShippedDefaultDomainWouldWinOverTheClusters(t *testing.T) {
	cluster := stockDomain(t)
	cluster.Data["knative.example.net"] = ""
	cd, _ := ConfigMaps(platform.Default())
	hello := route(&servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "team-b"}})
	for _, tc := range []struct {
		ours map[string]string
		want string
	}{
		{cd.Data, "knative.example.net"},
		{map[string]string{"example.com": ""}, "example.com"},
	} {
		domain, err := routecfg.NewDomainFromConfigMap(merged(cluster, &corev1.ConfigMap{Data: tc.ours}))
		if err != nil {
			t.Fatal(err)
		}
		if got := domain.LookupDomainForLabels(hello.Labels); got != tc.want {
			t.Errorf("merging %v: Knative gives hello %q, want %q", tc.ours, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
