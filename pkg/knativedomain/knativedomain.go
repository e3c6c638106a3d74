package knativedomain

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	netcfg "knative.dev/networking/pkg/config"
	routecfg "knative.dev/serving/pkg/reconciler/route/config"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// Go template expressions for the route's knapp.dev/host annotation and
// knapp.dev/app label. Label and annotation keys cannot hold a quote or a
// backslash, so "<key>" is a valid template string literal (a test checks it
// against strconv.Quote). index on a missing key (or a nil map, as in
// Knative's own check of the template) gives "".
const (
	hostAnnotation = `index .Annotations "` + v1alpha1.AnnotationHost + `"`
	appLabel       = `index .Labels "` + v1alpha1.LabelApp + `"`
)

// DomainTemplate is the config-network domain-template knapp needs.
//
// Knative executes it with .Name = the route's host name (the Route's name
// for the main route, the tag-template's {{.Tag}}-{{.Name}} for a tagged one),
// .Namespace, .Domain (from config-domain) and the Route's .Labels and
// .Annotations, which Knative copies from the Service. The main route of an
// App with the knapp.dev/host annotation gets <host>.<domain>: .Name equals
// the knapp.dev/app label only there (knapp names the Service after the App),
// so tagged routes and Services without the annotation (an App that lost a
// domain conflict) or without the label (not knapp's) get Knative's default
// template, the else branch. Cluster-local routes never reach this template.
const DomainTemplate = `{{if and (` + hostAnnotation + `) (eq .Name (` + appLabel + `))}}` +
	`{{` + hostAnnotation + `}}.{{.Domain}}` +
	`{{else}}` + netcfg.DefaultDomainTemplate + `{{end}}`

// ConfigMaps returns the config-domain and config-network ConfigMaps
// (namespace cfg.KnativeServingNamespace) a platform must merge into
// Knative's: config-domain maps cfg.Domain() to the selector
// knapp.dev/domain=platform; config-network sets domain-template.
//
// config-domain deliberately has no default domain (a key without a
// selector, such as Knative's documented `example.com: ""`): the cluster
// already has one, or deliberately has none (then Knative makes every other
// route cluster-local), and a second default merged in would compete with
// it, since Knative picks the alphabetically first of equally specific
// domains.
func ConfigMaps(cfg platform.Config) (configDomain, configNetwork *corev1.ConfigMap) {
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: cfg.KnativeServingNamespace}
	}
	typeMeta := metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}
	configDomain = &corev1.ConfigMap{
		TypeMeta:   typeMeta,
		ObjectMeta: meta(routecfg.DomainConfigName),
		Data: map[string]string{
			// Knative's format: the value is YAML, `selector` a map of
			// labels a route must all carry.
			cfg.Domain(): fmt.Sprintf("selector:\n  %s: %s\n", v1alpha1.LabelDomain, v1alpha1.LabelDomainValue),
		},
	}
	configNetwork = &corev1.ConfigMap{
		TypeMeta:   typeMeta,
		ObjectMeta: meta(netcfg.ConfigMapName),
		Data:       map[string]string{netcfg.DomainTemplateKey: DomainTemplate},
	}
	return configDomain, configNetwork
}
