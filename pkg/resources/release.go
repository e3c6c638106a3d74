package resources

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
)

// CanaryTag is the traffic tag the canary always carries, which gives it its
// own internal host (canary-<app>.<namespace>.svc.cluster.local).
const CanaryTag = v1alpha1.CanaryTagName

// ReleasePlan says which revisions take traffic, before it is rendered into
// Knative traffic targets (and, later, Istio routes).
type ReleasePlan struct {
	// StableRevision takes the traffic the canary does not; empty means the
	// latest ready revision.
	StableRevision string `json:"stableRevision,omitempty"`
	// Canary is the revision under trial, if any.
	Canary *CanaryPlan `json:"canary,omitempty"`
	// Tags are revisions with their own hosts at 0% of the split.
	Tags []TagPlan `json:"tags,omitempty"`
	// Sticky: knapp's routes split the external traffic between the stable
	// and canary tag hosts by the canary's percent and pin each visitor to
	// the revision they got with a cookie (a sticky progressive release
	// while it runs).
	Sticky bool `json:"sticky,omitempty"`
}

// TagPlan is a named tag of spec.release.tags.
type TagPlan struct {
	Name string `json:"name"`
	// Revision is the tag's revision name; empty with Latest set.
	Revision string `json:"revision,omitempty"`
	// Latest follows the latest ready revision.
	Latest bool `json:"latest,omitempty"`
}

// CanaryPlan is the canary part of a release.
type CanaryPlan struct {
	// Revision is the canary's revision name; empty with Latest set.
	Revision string `json:"revision,omitempty"`
	// Latest routes the canary to the latest ready revision.
	Latest bool `json:"latest,omitempty"`
	// Percent of the split the canary takes.
	Percent int64 `json:"percent"`
	// Match rules that send a request to the canary whatever the percent.
	Match []v1alpha1.MatchRule `json:"match,omitempty"`
}

// Routed reports whether match rules send requests to the canary, or
// visitors stick to a revision, which takes knapp's own Istio routes in
// front of Knative's.
func (p ReleasePlan) Routed() bool {
	return p.Canary != nil && (len(p.Canary.Match) > 0 || p.Sticky)
}

// PlanRelease turns spec.release into a plan. Revisions named in it must be
// in known (the revisions that exist plus the one the current template
// makes), so traffic is never sent to a revision that does not exist.
func PlanRelease(release *v1alpha1.Release, known sets.Set[string]) (ReleasePlan, error) {
	if release == nil {
		return ReleasePlan{}, nil
	}
	if errs := v1alpha1.ValidateRelease(release, field.NewPath("spec", "release")); len(errs) > 0 {
		return ReleasePlan{}, specErrorFromFieldErrors(errs)
	}
	plan := ReleasePlan{StableRevision: release.Stable}
	if release.Stable != "" && !known.Has(release.Stable) {
		return ReleasePlan{}, revisionNotFound("spec.release.stable", release.Stable, known)
	}
	for i, t := range release.Tags {
		revision, latest, err := resolveRevision(fmt.Sprintf("spec.release.tags[%d].revision", i), t.Revision, known)
		if err != nil {
			return ReleasePlan{}, err
		}
		plan.Tags = append(plan.Tags, TagPlan{Name: t.Name, Revision: revision, Latest: latest})
	}
	c := release.Canary
	if c == nil {
		return plan, nil
	}
	revision, latest, err := resolveRevision("spec.release.canary.revision", c.Revision, known)
	if err != nil {
		return ReleasePlan{}, err
	}
	canary := &CanaryPlan{Revision: revision, Latest: latest, Percent: int64(c.Percent), Match: c.Match}
	plan.Canary = canary
	return plan, nil
}

// resolveRevision reads a revision field that is either "latest" or the name
// of a revision in known.
func resolveRevision(field, revision string, known sets.Set[string]) (name string, latest bool, err error) {
	switch {
	case revision == v1alpha1.CanaryLatest:
		return "", true, nil
	case !known.Has(revision):
		return "", false, revisionNotFound(field, revision, known)
	}
	return revision, false, nil
}

func revisionNotFound(field, name string, known sets.Set[string]) error {
	return &SpecError{Reason: v1alpha1.ReasonRevisionNotFound, Field: field,
		Detail: fmt.Sprintf("revision %q does not exist; the App's revisions are: %s (traffic is left as it was)",
			name, strings.Join(sets.List(known), ", "))}
}
