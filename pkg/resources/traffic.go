package resources

import (
	"knative.dev/pkg/ptr"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// MakeTraffic renders a plan into Knative's percentage split: the stable
// revision takes what the canary does not, the canary is always tagged (the
// stable too while visitors stick, for knapp's weighted routes), and each
// named tag follows at 0%. In-cluster callers keep this split.
func MakeTraffic(plan ReleasePlan) []servingv1.TrafficTarget {
	traffic := makeSplit(plan)
	for _, t := range plan.Tags {
		traffic = append(traffic, trafficTarget(t.Name, 0, t.Revision, t.Latest))
	}
	return traffic
}

func makeSplit(plan ReleasePlan) []servingv1.TrafficTarget {
	canaryPercent := int64(0)
	if plan.Canary != nil {
		canaryPercent = plan.Canary.Percent
	}
	stableTag := ""
	if plan.Sticky {
		stableTag = StableTag
	}
	stable := trafficTarget(stableTag, 100-canaryPercent, plan.StableRevision, plan.StableRevision == "")
	traffic := []servingv1.TrafficTarget{stable}
	if plan.Canary == nil {
		return traffic
	}
	return append(traffic, trafficTarget(CanaryTag, canaryPercent, plan.Canary.Revision, plan.Canary.Latest))
}

// trafficTarget is one Knative target: the latest ready revision or a named
// one, never both (Knative refuses that).
func trafficTarget(tag string, percent int64, revision string, latest bool) servingv1.TrafficTarget {
	target := servingv1.TrafficTarget{Tag: tag, Percent: ptr.Int64(percent)}
	if latest {
		target.LatestRevision = ptr.Bool(true)
	} else {
		target.RevisionName = revision
	}
	return target
}
