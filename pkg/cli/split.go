package cli

import (
	"fmt"
	"maps"
	"strings"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// askedShare is a revision's part of the split knapp asks Knative for.
type askedShare struct {
	Revision string
	Percent  int64
}

// askedSplit is the split the App's release plan asks for, when it differs
// from what Knative routes now (status.revisions): until Knative's Route is
// ready, or when no data plane runs (make dev), the two part. Nil when they
// agree, or when the plan names a revision not known yet (the latest ready
// one, while none is).
func askedSplit(a *v1alpha1.App) []askedShare {
	plan, err := routedPlan(a)
	if err != nil {
		return nil
	}
	return askedUnder(a, plan)
}

// askedUnder is askedSplit under the App's routed plan.
func askedUnder(a *v1alpha1.App, plan resources.ReleasePlan) []askedShare {
	var asked []askedShare
	want := map[string]int64{}
	for _, s := range plan.Split() {
		if s.Latest || s.Revision == "" {
			return nil
		}
		asked = append(asked, askedShare{Revision: s.Revision, Percent: s.Percent})
		if s.Percent > 0 {
			want[s.Revision] += s.Percent
		}
	}
	now := map[string]int64{}
	for _, r := range a.Status.Revisions {
		if r.Percent != nil && *r.Percent > 0 {
			now[r.Name] = *r.Percent
		}
	}
	if maps.Equal(want, now) {
		return nil
	}
	return asked
}

func askedWords(asked []askedShare) string {
	parts := make([]string, 0, len(asked))
	for _, s := range asked {
		parts = append(parts, fmt.Sprintf("%d%% %s", s.Percent, s.Revision))
	}
	return strings.Join(parts, ", ")
}

// wasWords is the split before a change: as Knative routes it, or, while
// it routes otherwise, as knapp asked.
func wasWords(a *v1alpha1.App) string {
	if asked := askedSplit(a); asked != nil {
		return askedWords(asked) + ", not routed yet"
	}
	return trafficWords(a)
}

// listTrafficWords is get's TRAFFIC, the console list's too: the split as
// Knative routes it, and as knapp asks for it (asked) while the two differ.
func listTrafficWords(a *v1alpha1.App, asked []askedShare) string {
	if asked == nil {
		return trafficWords(a)
	}
	var parts []string
	for _, s := range asked {
		if s.Percent > 0 {
			parts = append(parts, fmt.Sprintf("%s %d%%", s.Revision, s.Percent))
		}
	}
	return trafficWords(a) + " (asked " + strings.Join(parts, ", ") + ")"
}
