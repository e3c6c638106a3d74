package app

import (
	"sort"

	"knapp.dev/knapp/api/v1alpha1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// maxRevisionHistory bounds status.revisions, so status stays small however
// many revisions Knative keeps.
const maxRevisionHistory = 10

// revisionHistory lists the newest revisions, newest first, with the
// traffic each takes now (from the App's status.traffic).
func revisionHistory(revs []servingv1.Revision, traffic []v1alpha1.TrafficTarget, max int) []v1alpha1.RevisionStatus {
	sorted := make([]*servingv1.Revision, 0, len(revs))
	for i := range revs {
		sorted = append(sorted, &revs[i])
	}
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return b.CreationTimestamp.Before(&a.CreationTimestamp)
		}
		return a.Name > b.Name
	})
	if len(sorted) > max {
		sorted = sorted[:max]
	}
	var out []v1alpha1.RevisionStatus
	for _, rev := range sorted {
		rs := v1alpha1.RevisionStatus{Name: rev.Name, Created: rev.CreationTimestamp}
		if len(rev.Spec.Containers) > 0 {
			rs.Image = rev.Spec.Containers[0].Image
		}
		for _, t := range traffic {
			if t.RevisionName != rev.Name {
				continue
			}
			if t.Percent != nil {
				sum := *t.Percent
				if rs.Percent != nil {
					sum += *rs.Percent
				}
				rs.Percent = &sum
			}
			if t.Tag != "" {
				rs.Tags = append(rs.Tags, t.Tag)
			}
		}
		out = append(out, rs)
	}
	return out
}
