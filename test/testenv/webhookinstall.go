package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// InstallWebhookConfigs creates the webhook configurations in these YAML
// files on a running Env, pointed at its webhook server as
// WithWebhookConfigs points them at start (the service reference becomes a
// URL with the same path, and the server's CA is filled in). It is for a
// test that wants them only for a while: the webhooks apply at once, to the
// whole control plane, until remove deletes them.
func (e *Env) InstallWebhookConfigs(ctx context.Context, files ...string) (remove func(context.Context) error, err error) {
	o := &e.env.WebhookInstallOptions
	hostPort := net.JoinHostPort(o.LocalServingHost, strconv.Itoa(o.LocalServingPort))
	point := func(cc *admissionregistrationv1.WebhookClientConfig) {
		cc.CABundle = o.LocalServingCAData
		if cc.Service != nil && cc.Service.Path != nil {
			url := "https://" + hostPort + "/" + strings.TrimPrefix(*cc.Service.Path, "/")
			cc.URL, cc.Service = &url, nil
		}
	}
	var created []client.Object
	remove = func(ctx context.Context) error {
		var errs []error
		for _, obj := range created {
			if err := e.Client.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	for _, f := range files {
		objs, err := ReadObjects(f)
		if err != nil {
			return nil, errors.Join(err, remove(ctx))
		}
		for _, u := range objs {
			var obj client.Object
			switch u.GetKind() {
			case "MutatingWebhookConfiguration":
				m := &admissionregistrationv1.MutatingWebhookConfiguration{}
				err = runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, m)
				for i := range m.Webhooks {
					point(&m.Webhooks[i].ClientConfig)
				}
				obj = m
			case "ValidatingWebhookConfiguration":
				v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
				err = runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, v)
				for i := range v.Webhooks {
					point(&v.Webhooks[i].ClientConfig)
				}
				obj = v
			default:
				err = fmt.Errorf("%s: %s %s is not a webhook configuration", f, u.GetKind(), u.GetName())
			}
			if err == nil {
				err = e.Client.Create(ctx, obj)
			}
			if err != nil {
				return nil, errors.Join(fmt.Errorf("installing %s: %w", f, err), remove(ctx))
			}
			created = append(created, obj)
		}
	}
	return remove, nil
}
