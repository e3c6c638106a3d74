package app

import (
	"maps"

	"k8s.io/apimachinery/pkg/api/equality"

	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// serviceNeedsUpdate reports whether the existing Knative Service differs
// from the desired one in what knapp owns. desired must be defaulted the
// way Knative's webhook defaults (SetDefaults), so that defaults Knative
// filled in do not count as a difference.
//
// The revision template is compared by name only: its name is a hash of its
// content, and Knative itself refuses a template change without a name
// change, so equal names mean equal templates.
func serviceNeedsUpdate(existing, desired *servingv1.Service) bool {
	return existing.Spec.Template.Name != desired.Spec.Template.Name ||
		!equality.Semantic.DeepEqual(existing.Spec.Traffic, desired.Spec.Traffic) ||
		!ownedMetadataEqual(existing.Labels, desired.Labels, resources.OwnedLabelKeys) ||
		!ownedMetadataEqual(existing.Annotations, desired.Annotations, resources.OwnedAnnotationKeys)
}

// applyDesiredService returns existing with knapp's part replaced by
// desired's, keeping every label and annotation that others own.
//
// When the template's name is unchanged the existing template is kept:
// Knative's webhook skips defaulting a template whose bring-your-own name did
// not change, so sending the undefaulted one would read as a change without a
// new name, which Knative refuses.
func applyDesiredService(existing, desired *servingv1.Service) *servingv1.Service {
	out := existing.DeepCopy()
	if out.Spec.Template.Name != desired.Spec.Template.Name {
		out.Spec.ConfigurationSpec = *desired.Spec.ConfigurationSpec.DeepCopy()
	}
	out.Spec.RouteSpec = *desired.Spec.RouteSpec.DeepCopy()
	out.Labels = mergeOwned(out.Labels, desired.Labels, resources.OwnedLabelKeys)
	out.Annotations = mergeOwned(out.Annotations, desired.Annotations, resources.OwnedAnnotationKeys)
	return out
}

func ownedMetadataEqual(existing, desired map[string]string, owned []string) bool {
	for _, k := range owned {
		ev, eok := existing[k]
		dv, dok := desired[k]
		if eok != dok || ev != dv {
			return false
		}
	}
	return true
}

func mergeOwned(existing, desired map[string]string, owned []string) map[string]string {
	out := maps.Clone(existing)
	if out == nil {
		out = map[string]string{}
	}
	for _, k := range owned {
		if v, ok := desired[k]; ok {
			out[k] = v
		} else {
			delete(out, k)
		}
	}
	return out
}
