package progressive

import (
	"testing"

	"knapp.dev/knapp/test/testenv"
)

// actAsKnative plays Knative's controllers for the namespace
// (testenv.ActAsKnative).
func actAsKnative(t testing.TB, ns string) { testenv.ActAsKnative(t, k8s, ns) }
