package resources

import (
	"knative.dev/pkg/ptr"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// MakeTraffic renders a plan into Knative's percentage split: the stable
// revision takes what the canary does not, the canary is always tagged, and
// each named tag follows at 0%.
func MakeTraffic(plan ReleasePlan) []servingv1.TrafficTarget {
	traffic := makeSplit(plan)
	for _, t := range plan.Tags {
		target := servingv1.TrafficTarget{Tag: t.Name, Percent: ptr.Int64(0)}
		if t.Latest {
			target.LatestRevision = ptr.Bool(true)
		} else {
			target.RevisionName = t.Revision
		}
		traffic = append(traffic, target)
	}
	return traffic
}

func makeSplit(plan ReleasePlan) []servingv1.TrafficTarget {
	canaryPercent := int64(0)
	if plan.Canary != nil {
		canaryPercent = plan.Canary.Percent
	}
	stable := servingv1.TrafficTarget{Percent: ptr.Int64(100 - canaryPercent)}
	if plan.StableRevision != "" {
		stable.RevisionName = plan.StableRevision
	} else {
		stable.LatestRevision = ptr.Bool(true)
	}
	traffic := []servingv1.TrafficTarget{stable}
	if plan.Canary == nil {
		return traffic
	}
	canary := servingv1.TrafficTarget{Tag: CanaryTag, Percent: ptr.Int64(canaryPercent)}
	if plan.Canary.Latest {
		canary.LatestRevision = ptr.Bool(true)
	} else {
		canary.RevisionName = plan.Canary.Revision
	}
	return append(traffic, canary)
}
