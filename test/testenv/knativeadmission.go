package testenv

import (
	"context"
	"encoding/json"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/pkg/knativeconfig"
)

// This file is the admission logic of Knative Serving's webhook for
// Services, following knative.dev/pkg/webhook/resourcesemantics/defaulting
// and .../validation as knative.dev/serving's cmd/webhook configures them
// (typed Service handler, unknown fields allowed, config store in the
// context). Only the context setup and the response shapes live here; the
// defaults and the rules themselves are Knative's own code.

// withKnativeConfig attaches the configuration of a default install (its
// config maps hold nothing but _example), as the webhook's store does.
func withKnativeConfig(ctx context.Context) context.Context {
	return knativeconfig.ToContext(ctx, knativeconfig.Default())
}

// DefaultService is Knative's defaulting webhook for a serving.knative.dev/v1
// Service: it answers with the JSON patch from the object as sent to the
// object after Knative's SetDefaults.
func DefaultService(ctx context.Context, req admission.Request) admission.Response {
	switch req.Operation {
	case admissionv1.Create, admissionv1.Update:
	default:
		return admission.Allowed("") // Knative lets other operations through.
	}
	if err := checkKind(req); err != nil {
		return errorStatus("mutation failed: %v", err)
	}
	ctx = withKnativeConfig(ctx)
	if len(req.Object.Raw) == 0 {
		return errorStatus("mutation failed: the new object may not be nil")
	}
	svc := &servingv1.Service{}
	if err := json.Unmarshal(req.Object.Raw, svc); err != nil {
		return errorStatus("mutation failed: cannot decode incoming new object: %v", err)
	}
	if len(req.OldObject.Raw) != 0 {
		old := &servingv1.Service{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return errorStatus("mutation failed: cannot decode incoming old object: %v", err)
		}
		// Knative defaults the old object too (before the update and user
		// info are in the context), so its own earlier defaulting is never
		// mistaken for a change.
		old.SetDefaults(ctx)
		ctx = withinUpdate(ctx, old, req.SubResource)
	} else {
		ctx = apis.WithinCreate(ctx)
	}
	ctx = apis.WithUserInfo(ctx, &req.UserInfo)

	svc.SetDefaults(ctx)
	// Knative's generic webhook then sets serving.knative.dev/creator and
	// lastModifier from the user info; Service.SetDefaults has already set
	// the same keys to the same values (serving.SetUserInfo), so that step
	// would add nothing here.

	defaulted, err := json.Marshal(svc)
	if err != nil {
		return errorStatus("mutation failed: %v", err)
	}
	// The patch from the raw request, not from a re-encoded object, carries
	// Knative's round-trip changes as well as its defaults, as Knative's does.
	return admission.PatchResponseFromRaw(req.Object.Raw, defaulted)
}

// ValidateService is Knative's validating webhook for a
// serving.knative.dev/v1 Service: Knative's Validate, with error-level
// findings denying the request and warning-level ones returned as warnings.
//
// Knative's webhook additionally creates a dry-run Pod from the template on
// dry-run requests (serving's extra validation callback); that check is left
// out, as it needs the webhook's own API client.
func ValidateService(ctx context.Context, req admission.Request) admission.Response {
	if err := checkKind(req); err != nil {
		return errorStatus("decoding request failed: %v", err)
	}
	ctx = withKnativeConfig(ctx)
	var svc, old *servingv1.Service
	if len(req.Object.Raw) != 0 {
		svc = &servingv1.Service{}
		if err := json.Unmarshal(req.Object.Raw, svc); err != nil {
			return errorStatus("decoding request failed: cannot decode incoming new object: %v", err)
		}
	}
	if len(req.OldObject.Raw) != 0 {
		old = &servingv1.Service{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return errorStatus("decoding request failed: cannot decode incoming old object: %v", err)
		}
	}

	ctx = apis.WithUserInfo(ctx, &req.UserInfo)
	if req.DryRun != nil && *req.DryRun {
		ctx = apis.WithDryRun(ctx)
	}
	switch req.Operation {
	case admissionv1.Create:
		ctx = apis.WithinCreate(ctx)
	case admissionv1.Update:
		// Unlike defaulting, validation compares against the old object as
		// stored, without defaulting it again.
		ctx = withinUpdate(ctx, old, req.SubResource)
	default:
		return admission.Allowed("") // Knative validates only creates and updates.
	}
	if svc == nil {
		return errorStatus("validation failed: the new object may not be nil")
	}

	result := svc.Validate(ctx)
	var warnings []string
	if w := result.Filter(apis.WarningLevel); w != nil {
		for _, e := range w.WrappedErrors() {
			warnings = append(warnings, e.Error())
		}
	}
	if e := result.Filter(apis.ErrorLevel); e != nil {
		return errorStatus("validation failed: %v", e).WithWarnings(warnings...)
	}
	return admission.Allowed("").WithWarnings(warnings...)
}

// withinUpdate marks the context as an update from old, or as an update of
// a subresource such as status, which Knative's validation treats apart.
func withinUpdate(ctx context.Context, old *servingv1.Service, subResource string) context.Context {
	if subResource != "" {
		return apis.WithinSubResourceUpdate(ctx, old, subResource)
	}
	return apis.WithinUpdate(ctx, old)
}

// checkKind refuses anything but a v1 Service, as Knative's webhook refuses
// a kind it has no handler for.
func checkKind(req admission.Request) error {
	gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
	if gvk != servingv1.SchemeGroupVersion.WithKind("Service") {
		return fmt.Errorf("unhandled kind: %v", gvk)
	}
	return nil
}

// errorStatus is Knative's webhook.MakeErrorStatus: a denial carrying a
// 400 Bad Request status with the message, which the apiserver passes on.
func errorStatus(format string, args ...any) admission.Response {
	status := apierrors.NewBadRequest(fmt.Sprintf(format, args...)).Status()
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &status}}
}
