package resources

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources/names"
	netapi "knative.dev/networking/pkg/apis/networking"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// ServiceRouting is how the Knative Service takes part in routing.
type ServiceRouting struct {
	// HoldsHost: the App holds its platform host, so the Service carries the
	// annotation the domain-template reads. An App that lost a domain
	// conflict falls back to Knative's namespaced host.
	HoldsHost bool
	// ClusterLocal: knapp's VirtualService binds the external host, so
	// Knative must not (networking.knative.dev/visibility: cluster-local).
	ClusterLocal bool
}

// MakeKnativeService makes the Knative Service an App asks for from its
// revision template and release plan, owned by the App. It carries none of
// the App's own labels and annotations, so Argo CD's tracking label and
// annotation never reach it.
func MakeKnativeService(app *v1alpha1.App, tmpl servingv1.RevisionTemplateSpec, plan ReleasePlan, routing ServiceRouting) *servingv1.Service {
	return &servingv1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            names.KnativeService(app),
			Namespace:       app.Namespace,
			Labels:          serviceLabels(app, routing),
			Annotations:     serviceAnnotations(app, routing),
			OwnerReferences: []metav1.OwnerReference{ownerReference(app)},
		},
		Spec: servingv1.ServiceSpec{
			ConfigurationSpec: servingv1.ConfigurationSpec{Template: tmpl},
			RouteSpec:         servingv1.RouteSpec{Traffic: MakeTraffic(plan)},
		},
	}
}

func ownerReference(app *v1alpha1.App) metav1.OwnerReference {
	return *metav1.NewControllerRef(app, v1alpha1.GroupVersion.WithKind("App"))
}

func serviceLabels(app *v1alpha1.App, routing ServiceRouting) map[string]string {
	labels := map[string]string{
		v1alpha1.LabelApp:    app.Name,
		v1alpha1.LabelDomain: v1alpha1.LabelDomainValue,
	}
	if routing.ClusterLocal {
		labels[netapi.VisibilityLabelKey] = serving.VisibilityClusterLocal
	}
	return labels
}

func serviceAnnotations(app *v1alpha1.App, routing ServiceRouting) map[string]string {
	annotations := map[string]string{}
	if routing.HoldsHost {
		annotations[v1alpha1.AnnotationHost] = app.HostLabel()
	}
	if r := app.Spec.Release; r != nil && r.RolloutDuration != nil {
		// Knative's own syntax (Go's), which Knative validates.
		annotations[serving.RolloutDurationKey] = r.RolloutDuration.Duration.String()
	}
	if len(annotations) == 0 {
		return nil
	}
	return annotations
}

// OwnedLabelKeys and OwnedAnnotationKeys are the keys knapp manages on a
// Knative Service; every other key belongs to someone else and is kept.
var (
	OwnedLabelKeys      = []string{v1alpha1.LabelApp, v1alpha1.LabelDomain, netapi.VisibilityLabelKey}
	OwnedAnnotationKeys = []string{v1alpha1.AnnotationHost, serving.RolloutDurationKey}
)
