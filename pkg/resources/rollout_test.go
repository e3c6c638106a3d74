package resources

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"knapp.dev/knapp/api/v1alpha1"
)

// TestRolloutRoutingGolden: where a progressive release stands becomes the
// split of the Knative Service and knapp's VirtualService, golden files
// that test/istiojudge also hands to Istio's own translation.
func TestRolloutRoutingGolden(t *testing.T) {
	revisions := sets.New("shop-00aaaaaaaa", "shop-00bbbbbbbb")
	cohort := []v1alpha1.MatchRule{{Headers: headerExact("x-canary", "true")}}
	progressing := func(percent int32) *v1alpha1.RolloutStatus {
		return &v1alpha1.RolloutStatus{Revision: "shop-00bbbbbbbb", StableRevision: "shop-00aaaaaaaa", Phase: v1alpha1.RolloutProgressing, Step: 2, Percent: percent}
	}
	tests := []struct {
		name   string
		match  []v1alpha1.MatchRule
		sticky bool
		st     *v1alpha1.RolloutStatus
	}{
		{"rollout-no-ready-revision", cohort, false, nil},
		{"rollout-step-cohort-and-percent", cohort, false, progressing(10)},
		{"rollout-step-percent-only", nil, false, progressing(10)},
		{"rollout-rolled-back", cohort, false, &v1alpha1.RolloutStatus{Revision: "shop-00bbbbbbbb", StableRevision: "shop-00aaaaaaaa", Phase: v1alpha1.RolloutRolledBack, Step: 2}},
		{"rollout-promoted", cohort, false, &v1alpha1.RolloutStatus{Revision: "shop-00bbbbbbbb", StableRevision: "shop-00aaaaaaaa", Phase: v1alpha1.RolloutPromoted, Step: 3, Percent: 100}},
		{"rollout-sticky-split", cohort, true, progressing(10)},
		{"rollout-sticky-cohort-only", nil, true, progressing(0)},
		{"rollout-sticky-paused", nil, true, &v1alpha1.RolloutStatus{Revision: "shop-00bbbbbbbb", StableRevision: "shop-00aaaaaaaa", Phase: v1alpha1.RolloutPaused, Step: 2, Percent: 50}},
		{"rollout-sticky-rolled-back", cohort, true, &v1alpha1.RolloutStatus{Revision: "shop-00bbbbbbbb", StableRevision: "shop-00aaaaaaaa", Phase: v1alpha1.RolloutRolledBack, Step: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newApp(func(a *v1alpha1.App) {
				a.Spec.Release = &v1alpha1.Release{Stable: "shop-00aaaaaaaa",
					Canary:      &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Match: tc.match},
					Progressive: &v1alpha1.Progressive{Steps: []v1alpha1.RolloutStep{{Percent: 0}, {Percent: 10}, {Percent: 50}}, Sticky: tc.sticky}}
			})
			assertRoutingGolden(t, tc.name, app, revisions, func(plan ReleasePlan) ReleasePlan {
				return ApplyRollout(plan, tc.st, tc.sticky)
			})
		})
	}
}
