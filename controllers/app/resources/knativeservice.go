package resources

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app/resources/names"
	"knapp.dev/knapp/pkg/platform"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// ServiceInputs are what an App's Knative Service depends on besides the App.
type ServiceInputs struct {
	// Environment of the App's namespace.
	Environment platform.Environment
	// Revisions that exist for the App's Knative Service.
	Revisions sets.Set[string]
}

// MakeKnativeService makes the Knative Service an App asks for, owned by the
// App. It carries none of the App's own labels and annotations, so Argo CD's
// tracking label and annotation never reach it.
func MakeKnativeService(app *v1alpha1.App, in ServiceInputs) (*servingv1.Service, error) {
	tmpl, err := MakeRevisionTemplate(app, in.Environment)
	if err != nil {
		return nil, err
	}
	known := sets.New(tmpl.Name)
	if in.Revisions != nil {
		known = known.Union(in.Revisions)
	}
	plan, err := PlanRelease(app.Spec.Release, known)
	if err != nil {
		return nil, err
	}
	return &servingv1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            names.KnativeService(app),
			Namespace:       app.Namespace,
			Labels:          ServiceLabels(app),
			Annotations:     ServiceAnnotations(app),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(app, v1alpha1.GroupVersion.WithKind("App"))},
		},
		Spec: servingv1.ServiceSpec{
			ConfigurationSpec: servingv1.ConfigurationSpec{Template: tmpl},
			RouteSpec:         servingv1.RouteSpec{Traffic: MakeTraffic(plan)},
		},
	}, nil
}

// ServiceLabels are the labels knapp owns on the Knative Service.
func ServiceLabels(app *v1alpha1.App) map[string]string {
	return map[string]string{
		v1alpha1.LabelApp:    app.Name,
		v1alpha1.LabelDomain: v1alpha1.LabelDomainValue,
	}
}

// ServiceAnnotations are the annotations knapp owns on the Knative Service.
func ServiceAnnotations(app *v1alpha1.App) map[string]string {
	return map[string]string{v1alpha1.AnnotationHost: names.Host(app)}
}

// OwnedMetadataKeys are the label and annotation keys knapp manages on a
// Knative Service; every other key belongs to someone else and is kept.
var (
	OwnedLabelKeys      = []string{v1alpha1.LabelApp, v1alpha1.LabelDomain}
	OwnedAnnotationKeys = []string{v1alpha1.AnnotationHost}
)
