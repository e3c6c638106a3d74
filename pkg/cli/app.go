package cli

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// getApp reads the App, saying plainly when it does not exist or the
// caller may not read it.
func (o *options) getApp(ctx context.Context, name string) (client.Client, *v1alpha1.App, error) {
	c, err := o.client()
	if err != nil {
		return nil, nil, err
	}
	ns, err := o.namespace()
	if err != nil {
		return nil, nil, err
	}
	app := &v1alpha1.App{}
	switch err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, app); {
	case apierrors.IsNotFound(err):
		return nil, nil, fmt.Errorf("App %q not found in namespace %s (kubectl knapp get lists them)", name, ns)
	case apierrors.IsForbidden(err):
		return nil, nil, fmt.Errorf("you may not read Apps in namespace %s: %v", ns, apierrors.ReasonForError(err))
	case err != nil:
		return nil, nil, fmt.Errorf("reading App %s/%s: %w", ns, name, err)
	}
	return c, app, nil
}
