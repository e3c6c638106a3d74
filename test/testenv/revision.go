package testenv

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

// RevisionOf is the Revision Knative's controllers make of a Service's
// current template, with the labels knapp watches Revisions by; tests that
// run no Knative controller create it to stand in for one.
func RevisionOf(ksvc *servingv1.Service) *servingv1.Revision {
	return &servingv1.Revision{
		ObjectMeta: metav1.ObjectMeta{
			Name: ksvc.Spec.Template.Name, Namespace: ksvc.Namespace,
			Labels: map[string]string{
				serving.ServiceLabelKey:       ksvc.Name,
				serving.ConfigurationLabelKey: ksvc.Name,
				v1alpha1.LabelApp:             ksvc.Spec.Template.Labels[v1alpha1.LabelApp],
			},
		},
		Spec: ksvc.Spec.Template.Spec,
	}
}
