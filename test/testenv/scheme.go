package testenv

import (
	argov1alpha1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingv1beta1 "knative.dev/serving/pkg/apis/serving/v1beta1"

	knappv1alpha1 "knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// NewScheme returns a scheme with the built-in kinds, knapp's App, and the
// typed objects of Knative Serving, Istio networking, Argo Workflows and
// Eventing's PingSource whose CRDs the control plane installs.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(knappv1alpha1.AddToScheme(s))
	utilruntime.Must(servingv1.AddToScheme(s))
	utilruntime.Must(servingv1beta1.AddToScheme(s))
	utilruntime.Must(istionetworkingv1.AddToScheme(s))
	utilruntime.Must(argov1alpha1.AddToScheme(s))
	utilruntime.Must(resources.AddPingSourceToScheme(s))
	return s
}
