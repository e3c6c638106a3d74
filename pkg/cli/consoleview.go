package cli

import (
	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// appView is what the console draws of an App: the facts describe prints.
type appView struct {
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	URL       string         `json:"url"`
	Ready     string         `json:"ready"`
	Reason    string         `json:"reason"`
	Message   string         `json:"message,omitempty"`
	ArgoCD    string         `json:"argoCD,omitempty"`
	Stable    string         `json:"stable,omitempty"`
	Canary    string         `json:"canary,omitempty"`
	Revisions []revisionView `json:"revisions"`
	// Traffic is the split in words, as get's TRAFFIC.
	Traffic string       `json:"traffic"`
	Rules   []string     `json:"rules,omitempty"`
	Rollout *rolloutView `json:"rollout,omitempty"`
	Builds  []buildView  `json:"builds,omitempty"`
}

type revisionView struct {
	Name    string `json:"name"`
	Image   string `json:"image"`
	Percent int64  `json:"percent"`
	// Asked is the revision's part of the split knapp asks for, while
	// Knative routes otherwise (askedSplit).
	Asked *int64   `json:"asked,omitempty"`
	Tags  []string `json:"tags,omitempty"`
}

type rolloutView struct {
	Phase    string                    `json:"phase"`
	Revision string                    `json:"revision"`
	Stable   string                    `json:"stable"`
	Step     int32                     `json:"step"`
	Percent  int32                     `json:"percent"`
	Failures int32                     `json:"failures"`
	Message  string                    `json:"message"`
	Steps    []stepView                `json:"steps"`
	Analyses []v1alpha1.AnalysisResult `json:"analyses,omitempty"`
}

// stepView is a rung of the ladder: done, current or to come.
type stepView struct {
	Percent int32  `json:"percent"`
	Pause   string `json:"pause"`
	State   string `json:"state"`
}

type buildView struct {
	Workflow string `json:"workflow"`
	Trigger  string `json:"trigger"`
	Revision string `json:"revision"`
	Phase    string `json:"phase"`
	Took     string `json:"took,omitempty"`
	Digest   string `json:"digest,omitempty"`
}

// viewOf is the console's view of an App.
func viewOf(a *v1alpha1.App) appView {
	ready, reason := readiness(a)
	v := appView{Namespace: a.Namespace, Name: a.Name, URL: a.Status.URL, Ready: ready, Reason: reason,
		ArgoCD: argoCDManaged(a), Stable: a.Status.StableRevision, Canary: a.Status.CanaryRevision, Revisions: []revisionView{}}
	if c := a.Status.GetCondition(v1alpha1.ConditionReady); c != nil && c.Status != "True" {
		v.Message = c.Message
	}
	// The buttons act on the release plan (as promote and rollback do),
	// which Knative may not route yet; without one, on what it routes.
	var asked []askedShare
	if plan, err := routedPlan(a); err == nil {
		asked = askedUnder(a, plan)
		v.Stable, v.Canary = plan.StableRevision, ""
		if c := plan.Canary; c != nil && !c.Latest {
			v.Canary = c.Revision
		}
	}
	v.Traffic = listTrafficWords(a, asked)
	for _, r := range a.Status.Revisions {
		rv := revisionView{Name: r.Name, Image: r.Image, Tags: r.Tags}
		if r.Percent != nil {
			rv.Percent = *r.Percent
		}
		v.Revisions = append(v.Revisions, rv)
	}
	if asked != nil {
		for i := range v.Revisions {
			p := int64(0)
			for _, s := range asked {
				if s.Revision == v.Revisions[i].Name {
					p += s.Percent
				}
			}
			v.Revisions[i].Asked = &p
		}
	}
	if r := a.Spec.Release; r != nil && r.Canary != nil {
		for _, rule := range r.Canary.Match {
			v.Rules = append(v.Rules, "requests with "+resources.MatchRuleWords(rule))
		}
	}
	if st := a.Status.Rollout; st != nil {
		rv := &rolloutView{Phase: string(st.Phase), Revision: st.Revision, Stable: st.StableRevision, Step: st.Step,
			Percent: st.Percent, Failures: st.Failures, Message: st.Message, Analyses: st.Analyses}
		if r := a.Spec.Release; r != nil && r.Progressive != nil {
			for i, step := range r.Progressive.Steps {
				state := "todo"
				switch n := int32(i + 1); {
				case st.Phase == v1alpha1.RolloutPromoted || n < st.Step:
					state = "done"
				case n == st.Step && st.Active():
					state = "current"
				}
				rv.Steps = append(rv.Steps, stepView{Percent: step.Percent, Pause: step.Pause.Duration.String(), State: state})
			}
		}
		v.Rollout = rv
	}
	if b := a.Status.Build; b != nil {
		for _, rec := range b.Builds {
			bv := buildView{Workflow: rec.Workflow, Trigger: rec.Trigger, Revision: rec.Revision, Phase: rec.Phase, Digest: rec.Digest}
			if rec.StartedAt != nil && rec.FinishedAt != nil {
				bv.Took = rec.FinishedAt.Sub(rec.StartedAt.Time).String()
			}
			v.Builds = append(v.Builds, bv)
		}
	}
	return v
}
