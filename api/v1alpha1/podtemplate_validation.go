package v1alpha1

import (
	"sort"
	"strings"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ReservedPodKeyPrefixes are the label and annotation prefixes of the pod
// template that belong to knapp and Knative: an App's own key under one of
// them could pose as knapp's (knapp.dev/logs selects the log webhook) or
// change Knative's behaviour behind the App's fields (autoscaling.knative.dev/
// is spec.scaling's).
var ReservedPodKeyPrefixes = []string{
	"knapp.dev/", "serving.knative.dev/", "autoscaling.knative.dev/",
	"features.knative.dev/", "networking.knative.dev/",
}

// validatePodMetadata checks spec.template.labels and annotations:
// Kubernetes' syntax, and no reserved key.
func validatePodMetadata(t *AppTemplate, p *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(t.Labels, p.Child("labels"))
	errs = append(errs, apimachineryvalidation.ValidateAnnotations(t.Annotations, p.Child("annotations"))...)
	for _, m := range []struct {
		name string
		keys map[string]string
	}{{"labels", t.Labels}, {"annotations", t.Annotations}} {
		keys := make([]string, 0, len(m.keys))
		for k := range m.keys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, prefix := range ReservedPodKeyPrefixes {
				if strings.HasPrefix(k, prefix) || strings.Contains(k, "."+prefix) {
					errs = append(errs, field.Forbidden(p.Child(m.name).Key(k),
						"keys under "+strings.Join(ReservedPodKeyPrefixes, ", ")+" are knapp's and Knative's; set scaling in spec.scaling, logs in spec.logs"))
					break
				}
			}
		}
	}
	return errs
}

// validateVolumes: unique names, exactly one source each, and every mount
// naming one of them.
func validateVolumes(t *AppTemplate, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, v := range t.Volumes {
		vp := p.Child("volumes").Index(i)
		if names[v.Name] {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		names[v.Name] = true
		n := 0
		for _, set := range []bool{v.ConfigMap != nil, v.Secret != nil, v.Projected != nil, v.EmptyDir != nil, v.PersistentVolumeClaim != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, field.Invalid(vp, v.Name, "set exactly one of configMap, secret, projected, emptyDir, persistentVolumeClaim"))
		}
	}
	for i, c := range t.Containers {
		for j, m := range c.VolumeMounts {
			if !names[m.Name] {
				errs = append(errs, field.NotFound(p.Child("containers").Index(i).Child("volumeMounts").Index(j).Child("name"), m.Name))
			}
		}
	}
	return errs
}
