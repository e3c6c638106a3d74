package app

import (
	"context"
	"fmt"

	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources/names"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// observed is what a reconcile reads of the cluster besides the App, once,
// from the cache. A read that failed keeps its error for the steps that
// need it, so that one failed read stops only those.
type observed struct {
	namespace    *corev1.Namespace
	namespaceErr error
	// revisions are the App's revisions that exist.
	revisions    []servingv1.Revision
	revisionsErr error
	// service is the Knative Service of the App's name, nil when there is
	// none; it may be someone else's.
	service    *servingv1.Service
	serviceErr error
	// virtualService is knapp's VirtualService of the App's name, nil when
	// there is none; it may be someone else's.
	virtualService    *istiov1.VirtualService
	virtualServiceErr error
}

// observe reads what the steps compare the App with.
func (r *Reconciler) observe(ctx context.Context, app *v1alpha1.App) observed {
	var o observed
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, types.NamespacedName{Name: app.Namespace}, ns); err != nil {
		o.namespaceErr = fmt.Errorf("reading namespace %s: %w", app.Namespace, err)
	} else {
		o.namespace = ns
	}

	revisions := &servingv1.RevisionList{}
	if err := r.Client.List(ctx, revisions, client.InNamespace(app.Namespace),
		client.MatchingLabels{serving.ServiceLabelKey: names.KnativeService(app), v1alpha1.LabelApp: app.Name}); err != nil {
		o.revisionsErr = fmt.Errorf("listing revisions of %s: %w", names.KnativeService(app), err)
	} else {
		o.revisions = revisions.Items
	}

	ksvc := &servingv1.Service{}
	if found, err := r.getIfExists(ctx, app.Namespace, names.KnativeService(app), ksvc); err != nil {
		o.serviceErr = fmt.Errorf("reading Knative Service %s: %w", names.KnativeService(app), err)
	} else if found {
		o.service = ksvc
	}

	vs := &istiov1.VirtualService{}
	if found, err := r.getIfExists(ctx, app.Namespace, names.VirtualService(app), vs); err != nil {
		o.virtualServiceErr = fmt.Errorf("reading VirtualService %s: %w", names.VirtualService(app), err)
	} else if found {
		o.virtualService = vs
	}
	return o
}

// getIfExists reads namespace/name into obj from the cache; false when
// there is no such object.
func (r *Reconciler) getIfExists(ctx context.Context, namespace, name string, obj client.Object) (bool, error) {
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
