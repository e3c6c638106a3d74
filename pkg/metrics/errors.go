package metrics

import (
	"context"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
)

// ErrorReason classifies a reconcile error for knapp_reconcile_errors_total:
// a handful of API error classes an operator acts on differently (Conflict
// and AlreadyExists are a stale cache and resolve on retry; Forbidden is
// RBAC; Timeout and ServerError the apiserver), never the message, so the
// label stays bounded. A joined error is classified by its first API error.
func ErrorReason(err error) string {
	switch {
	case err == nil:
		return ""
	case apierrors.IsConflict(err):
		return "Conflict"
	case apierrors.IsAlreadyExists(err):
		return "AlreadyExists"
	case apierrors.IsNotFound(err):
		return "NotFound"
	case apierrors.IsForbidden(err):
		return "Forbidden"
	case apierrors.IsUnauthorized(err):
		return "Unauthorized"
	case apierrors.IsTimeout(err), apierrors.IsServerTimeout(err), errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	case apierrors.IsTooManyRequests(err):
		return "TooManyRequests"
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return "Invalid"
	case apierrors.IsInternalError(err), apierrors.IsServiceUnavailable(err), apierrors.IsUnexpectedServerError(err):
		return "ServerError"
	case meta.IsNoMatchError(err):
		return "NoKindMatch"
	default:
		return "Other"
	}
}
