package platform

import (
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
)

// Config is the platform team's settings.
type Config struct {
	// ClusterName makes the domain sls-<clusterName>.<domainSuffix>.
	ClusterName string `json:"clusterName"`
	// DomainSuffix is the DNS zone the platform's hosts live in.
	DomainSuffix string `json:"domainSuffix"`
	// Environments a namespace opts into with the label knapp.dev/environment,
	// each with defaults for the Apps in it.
	Environments map[string]Environment `json:"environments,omitempty"`
	// KnativeServingNamespace holds Knative Serving's config maps
	// (config-defaults, config-features, config-autoscaler), which knapp
	// reads so that it defaults Services exactly as Knative's webhook does.
	KnativeServingNamespace string `json:"knativeServingNamespace,omitempty"`
	// ExternalGateway is the Istio gateway (namespace/name) that serves
	// external hosts; knapp binds an App's host on it when match rules route
	// requests to the canary.
	ExternalGateway string `json:"externalGateway,omitempty"`
	// LocalGatewayHost is the Service of Knative's local gateway, where
	// knapp's routes send requests so that Knative's activator (scale from
	// zero) and percentage split still apply.
	LocalGatewayHost string `json:"localGatewayHost,omitempty"`
	// ClusterDomain is the cluster's DNS domain, for internal hosts.
	ClusterDomain string `json:"clusterDomain,omitempty"`
	// URLScheme of the external URL status reports: http, or https where
	// the gateway terminates TLS.
	URLScheme string `json:"urlScheme,omitempty"`
	// BuildTemplate is the Argo template builds use when an App names none.
	BuildTemplate BuildTemplate `json:"buildTemplate,omitempty"`
	// LogRoot is the node directory under which App pods' log directories
	// (<logRoot>/<namespace>/<app>) are mounted, where the node's log
	// shipper reads them.
	LogRoot string `json:"logRoot,omitempty"`
	// Hosts says which host names Apps may take (HostPolicy).
	Hosts HostPolicy `json:"hosts,omitempty"`
	// Builds says which templates and repositories builds may use
	// (BuildPolicy).
	Builds BuildPolicy `json:"builds,omitempty"`
	// Analysis is where progressive releases read their metrics.
	Analysis Analysis `json:"analysis,omitempty"`
}

// BuildTemplate names an Argo WorkflowTemplate or ClusterWorkflowTemplate.
type BuildTemplate struct {
	Name         string `json:"name"`
	ClusterScope bool   `json:"clusterScope,omitempty"`
}

// Environment holds the defaults an environment gives its Apps: any field
// of an App's spec.scaling, such as minScale 1 in production so that no
// request waits for a cold start, or scaleDownDelay 15m. A value an App
// sets itself wins (v1alpha1.EffectiveScaling).
type Environment struct {
	v1alpha1.Scaling `json:",inline"`
	// Name is the environment's key in Environments (set by EnvironmentFor).
	Name string `json:"-"`
}

// Default is the configuration used when no file is given: a local cluster
// with dev, staging and prod environments, prod kept warm.
func Default() Config {
	one, zero := int32(1), int32(0)
	return Config{
		ClusterName:  "local",
		DomainSuffix: "knapp.example.com",
		Environments: map[string]Environment{
			"dev":     {Scaling: v1alpha1.Scaling{MinScale: &zero}},
			"staging": {Scaling: v1alpha1.Scaling{MinScale: &zero}},
			"prod":    {Scaling: v1alpha1.Scaling{MinScale: &one}},
		},
		KnativeServingNamespace: "knative-serving",
		ExternalGateway:         "knative-serving/knative-ingress-gateway",
		LocalGatewayHost:        "knative-local-gateway.istio-system.svc.cluster.local",
		ClusterDomain:           "cluster.local",
		URLScheme:               "http",
		BuildTemplate:           BuildTemplate{Name: "knapp-build", ClusterScope: true},
		LogRoot:                 "/var/log/knapp",
		Analysis:                Analysis{TenantLabel: DefaultTenantLabel},
	}
}

// Load reads a YAML file over the defaults. Unknown keys are an error, so a
// typo in the platform's settings fails at start instead of being ignored.
func Load(path string) (Config, error) {
	cfg := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("reading platform config: %w", err)
	}
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return cfg, fmt.Errorf("platform config %s: %w", path, err)
	}
	return cfg, cfg.Validate()
}

// Validate reports every setting that cannot work, by its key.
func (c Config) Validate() error {
	var errs []error
	if msgs := validation.IsDNS1123Label(c.ClusterName); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("clusterName %q: %s", c.ClusterName, strings.Join(msgs, "; ")))
	}
	if msgs := validation.IsDNS1123Subdomain(c.DomainSuffix); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("domainSuffix %q: %s", c.DomainSuffix, strings.Join(msgs, "; ")))
	}
	if c.KnativeServingNamespace == "" {
		errs = append(errs, errors.New("knativeServingNamespace: must not be empty"))
	}
	if ns, name, ok := strings.Cut(c.ExternalGateway, "/"); !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		errs = append(errs, fmt.Errorf("externalGateway %q: want <namespace>/<gateway name>", c.ExternalGateway))
	}
	if msgs := validation.IsDNS1123Subdomain(c.LocalGatewayHost); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("localGatewayHost %q: %s", c.LocalGatewayHost, strings.Join(msgs, "; ")))
	}
	if msgs := validation.IsDNS1123Subdomain(c.ClusterDomain); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("clusterDomain %q: %s", c.ClusterDomain, strings.Join(msgs, "; ")))
	}
	if msgs := validation.IsDNS1123Subdomain(c.BuildTemplate.Name); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("buildTemplate.name %q: %s", c.BuildTemplate.Name, strings.Join(msgs, "; ")))
	}
	if !path.IsAbs(c.LogRoot) || path.Clean(c.LogRoot) != c.LogRoot || c.LogRoot == "/" {
		errs = append(errs, fmt.Errorf("logRoot %q: want an absolute, clean directory other than /", c.LogRoot))
	}
	if c.URLScheme != "http" && c.URLScheme != "https" {
		errs = append(errs, fmt.Errorf("urlScheme %q: use http or https", c.URLScheme))
	}
	errs = append(errs, c.Hosts.validate()...)
	errs = append(errs, c.Builds.validate()...)
	errs = append(errs, c.Analysis.validate()...)
	for _, name := range c.EnvironmentNames() {
		env := c.Environments[name]
		if msgs := validation.IsValidLabelValue(name); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("environments.%s: not a valid label value: %s", name, strings.Join(msgs, "; ")))
		}
		// The App's own rules; Knative's are checked with them at startup
		// (resources.ValidateEnvironments).
		for _, e := range v1alpha1.ValidateScaling(&env.Scaling, field.NewPath("environments", name)) {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// Domain is the DNS zone of the platform's hosts: sls-<cluster>.<suffix>.
func (c Config) Domain() string {
	return "sls-" + c.ClusterName + "." + c.DomainSuffix
}

// EnvironmentNames lists the environments in order.
func (c Config) EnvironmentNames() []string {
	names := make([]string, 0, len(c.Environments))
	for name := range c.Environments {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
