package resources

import (
	"k8s.io/apimachinery/pkg/api/equality"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// KnativeServiceNeedsUpdate reports whether the existing Knative Service differs
// from the desired one in what knapp owns. desired must be defaulted the
// way Knative's webhook defaults (SetDefaults), so that defaults Knative
// filled in do not count as a difference.
//
// The revision template is compared by name only: its name is a hash of its
// content, and Knative itself refuses a template change without a name
// change, so equal names mean equal templates.
func KnativeServiceNeedsUpdate(existing, desired *servingv1.Service) bool {
	return existing.Spec.Template.Name != desired.Spec.Template.Name ||
		!equality.Semantic.DeepEqual(existing.Spec.Traffic, desired.Spec.Traffic) ||
		!OwnedMetadataEqual(existing.Labels, desired.Labels, OwnedLabelKeys) ||
		!OwnedMetadataEqual(existing.Annotations, desired.Annotations, OwnedAnnotationKeys)
}

// UpdateKnativeService returns existing with knapp's part replaced by
// desired's, keeping every label and annotation that others own.
//
// When the template's name is unchanged the existing template is kept:
// Knative's webhook skips defaulting a template whose bring-your-own name did
// not change, so sending the undefaulted one would read as a change without a
// new name, which Knative refuses.
func UpdateKnativeService(existing, desired *servingv1.Service) *servingv1.Service {
	out := existing.DeepCopy()
	if out.Spec.Template.Name != desired.Spec.Template.Name {
		out.Spec.ConfigurationSpec = *desired.Spec.ConfigurationSpec.DeepCopy()
	}
	out.Spec.RouteSpec = *desired.Spec.RouteSpec.DeepCopy()
	out.Labels = MergeOwned(out.Labels, desired.Labels, OwnedLabelKeys)
	out.Annotations = MergeOwned(out.Annotations, desired.Annotations, OwnedAnnotationKeys)
	return out
}
