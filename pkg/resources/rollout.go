package resources

import (
	"knapp.dev/knapp/api/v1alpha1"
)

// StableTag is the traffic tag the stable revision carries while a sticky
// rollout runs, which gives it its own internal host for knapp's weighted
// split (stable-<app>.<namespace>.svc.cluster.local).
const StableTag = v1alpha1.StableTagName

// ApplyRollout sets the plan's split from where a progressive release
// stands: while it runs, the stable and the canary by name at the step's
// percent (sticky: split by knapp's routes, each visitor pinned); rolled
// back, the stable alone takes the traffic, no match rule routes to the
// canary, which keeps its tag at 0%; promoted, the canary becomes the
// stable. Without a rollout (no ready revision yet) the latest ready
// revision takes the traffic.
func ApplyRollout(plan ReleasePlan, st *v1alpha1.RolloutStatus, sticky bool) ReleasePlan {
	switch {
	case st == nil:
		plan.StableRevision, plan.Canary = "", nil
		return plan
	case st.Phase == v1alpha1.RolloutPromoted:
		plan.StableRevision, plan.Canary = st.Revision, nil
		return plan
	}
	canary := &CanaryPlan{Revision: st.Revision, Percent: int64(st.Percent)}
	if plan.Canary != nil {
		canary.Match = plan.Canary.Match
	}
	if st.Phase == v1alpha1.RolloutRolledBack {
		canary.Percent, canary.Match = 0, nil
	}
	plan.StableRevision, plan.Canary = st.StableRevision, canary
	plan.Sticky = sticky && st.Active()
	return plan
}
