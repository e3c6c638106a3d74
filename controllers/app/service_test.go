package app

import (
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/pkg/resources"
)

func TestWriteErrorTellsRefusalsFromFailures(t *testing.T) {
	gk := schema.GroupKind{Group: "serving.knative.dev", Kind: "Service"}
	tests := []struct {
		name    string
		err     error
		refused bool
	}{
		{"schema refusal", apierrors.NewInvalid(gk, "shop", field.ErrorList{field.Invalid(field.NewPath("spec"), 1, "bad")}), true},
		{"webhook denial", apierrors.NewBadRequest(`admission webhook "validation.webhook.serving.knative.dev" denied the request`), true},
		{"webhook unreachable", apierrors.NewInternalError(errors.New(`failed calling webhook: connection refused`)), false},
		{"throttled", apierrors.NewTooManyRequests("slow down", 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := writeError("creating", "shop", tc.err)
			var specErr *resources.SpecError
			if got := errors.As(err, &specErr); got != tc.refused {
				t.Fatalf("refused = %v, want %v (%v)", got, tc.refused, err)
			}
			if !tc.refused && !errors.Is(err, tc.err) {
				t.Errorf("the API error is not wrapped: %v", err)
			}
		})
	}
}
