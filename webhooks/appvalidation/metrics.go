package appvalidation

import (
	"context"
	"net/http"
	"strconv"

	admissionv1 "k8s.io/api/admission/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/pkg/metrics"
)

// countedValidation counts the validating webhook's answers in
// knapp_app_admissions_total and logs them. Validate stays pure; this
// wraps the handler controller-runtime builds around it. The logger in ctx
// is the webhook's, which names the App's namespace and name.
type countedValidation struct {
	admission.Handler
}

func (h countedValidation) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp := h.Handler.Handle(ctx, req)
	result := validationResult(resp)
	metrics.AppAdmissions.WithLabelValues(operationLabel(req.Operation), result, strconv.FormatBool(len(resp.Warnings) > 0)).Inc()
	logf.FromContext(ctx).V(1).Info("validated the App", "operation", req.Operation, "result", result,
		"warnings", len(resp.Warnings), "message", resultMessage(resp))
	return resp
}

// validationResult: denied is the validator's verdict (422 Invalid, or
// 403); any other refusal is a request the webhook could not read.
func validationResult(resp admission.Response) string {
	switch {
	case resp.Allowed:
		return metrics.AdmissionAllowed
	case resp.Result != nil && (resp.Result.Code == http.StatusUnprocessableEntity || resp.Result.Code == http.StatusForbidden):
		return metrics.AdmissionDenied
	default:
		return metrics.AdmissionErrored
	}
}

// countedDefaulting counts the defaulting webhook's answers in
// knapp_app_defaulting_total and logs them.
type countedDefaulting struct {
	admission.Handler
}

func (h countedDefaulting) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp := h.Handler.Handle(ctx, req)
	result := metrics.DefaultingErrored
	switch {
	case resp.Allowed && len(resp.Patches) > 0:
		result = metrics.DefaultingPatched
	case resp.Allowed:
		result = metrics.DefaultingUnchanged
	}
	metrics.AppDefaulting.WithLabelValues(operationLabel(req.Operation), result).Inc()
	logf.FromContext(ctx).V(1).Info("defaulted the App", "operation", req.Operation, "result", result,
		"patchOps", len(resp.Patches), "message", resultMessage(resp))
	return resp
}

// operationLabel is the operation label of a request: the apiserver's
// operations as they are, anything else (a request not from the apiserver)
// "unknown", so that no caller can add series or, with invalid UTF-8, make
// the metric panic. FuzzWebhooks found the panic.
func operationLabel(op admissionv1.Operation) string {
	switch op {
	case admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect:
		return string(op)
	}
	return "unknown"
}

func resultMessage(resp admission.Response) string {
	if resp.Result == nil {
		return ""
	}
	return resp.Result.Message
}
