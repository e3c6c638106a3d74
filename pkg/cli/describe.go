package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

func newDescribeCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "describe APP",
		Short: "Show an App's URL, readiness, revisions and traffic, rules, rollout, builds and events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, app, err := o.getApp(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			describe(o.streams.Out, app)
			describeEvents(cmd.Context(), o.streams.Out, c, app)
			return nil
		},
	}
}

// describe writes what an App is and does, for people.
func describe(w io.Writer, a *v1alpha1.App) {
	status, reason := readiness(a)
	fmt.Fprintf(w, "App:        %s/%s\n", a.Namespace, a.Name)
	fmt.Fprintf(w, "URL:        %s\n", orDash(a.Status.URL))
	fmt.Fprintf(w, "Ready:      %s (%s)\n", status, reason)
	if c := a.Status.GetCondition(v1alpha1.ConditionReady); c != nil && c.Status != "True" {
		fmt.Fprintf(w, "            %s\n", c.Message)
	}
	fmt.Fprintln(w, "Revisions:")
	if len(a.Status.Revisions) == 0 {
		fmt.Fprintln(w, "  none yet")
	}
	for _, r := range a.Status.Revisions {
		percent := int64(0)
		if r.Percent != nil {
			percent = *r.Percent
		}
		fmt.Fprintf(w, "  %-20s %s %3d%%  %-16s %s\n", r.Name, bar(percent), percent, strings.Join(r.Tags, ","), r.Image)
	}
	if asked := askedSplit(a); asked != nil {
		fmt.Fprintf(w, "Asked:      %s (Knative does not route this yet)\n", askedWords(asked))
	}
	if tags := taggedURLs(a); len(tags) > 0 {
		fmt.Fprintln(w, "Tags:")
		for _, t := range tags {
			fmt.Fprintf(w, "  %-16s %s\n", t[0], t[1])
		}
	}
	if r := a.Spec.Release; r != nil && r.Canary != nil && len(r.Canary.Match) > 0 {
		fmt.Fprintln(w, "Match rules (to the canary):")
		for i, rule := range r.Canary.Match {
			fmt.Fprintf(w, "  %d. requests with %s\n", i+1, resources.MatchRuleWords(rule))
		}
	}
	describeRollout(w, a)
	describeBuilds(w, a)
}

// bar draws a percent as 20 cells.
func bar(percent int64) string {
	full := int(percent+2) / 5
	if full > 20 {
		full = 20
	}
	return strings.Repeat("█", full) + strings.Repeat("░", 20-full)
}

func taggedURLs(a *v1alpha1.App) [][2]string {
	var out [][2]string
	for _, t := range a.Status.Traffic {
		if t.Tag != "" {
			out = append(out, [2]string{t.Tag, orDash(t.URL)})
		}
	}
	return out
}

func describeRollout(w io.Writer, a *v1alpha1.App) {
	st := a.Status.Rollout
	if st == nil {
		return
	}
	fmt.Fprintf(w, "Rollout:    %s, revision %s against %s, step %d/%d at %d%%, %d failed interval(s)\n",
		st.Phase, st.Revision, orDash(st.StableRevision), st.Step, stepCount(a), st.Percent, st.Failures)
	fmt.Fprintf(w, "            %s\n", st.Message)
	if len(st.Analyses) == 0 {
		return
	}
	fmt.Fprintln(w, "Last analyses:")
	fmt.Fprintf(w, "  %-16s %-12s %-12s %-12s %s\n", "CHECK", "CANARY", "STABLE", "THRESHOLD", "VERDICT")
	for _, r := range st.Analyses {
		fmt.Fprintf(w, "  %-16s %-12s %-12s %-12s %s\n", r.Metric, orDash(r.Value), orDash(r.Stable), orDash(r.Threshold), r.Verdict)
	}
}

func describeBuilds(w io.Writer, a *v1alpha1.App) {
	if a.Status.Build == nil || len(a.Status.Build.Builds) == 0 {
		return
	}
	fmt.Fprintln(w, "Builds:")
	for _, b := range a.Status.Build.Builds {
		took := "-"
		if b.StartedAt != nil && b.FinishedAt != nil {
			took = b.FinishedAt.Sub(b.StartedAt.Time).String()
		}
		fmt.Fprintf(w, "  %-28s %-5s %-12s %-10s %-8s %s\n", b.Workflow, b.Trigger, orDash(b.Revision), orDash(b.Phase), took, orDash(b.Digest))
	}
}

// describeEvents lists the App's recent events, oldest first; a caller
// who may not read events is told so, not stopped.
func describeEvents(ctx context.Context, w io.Writer, c client.Client, a *v1alpha1.App) {
	list := &eventsv1.EventList{}
	if err := c.List(ctx, list, client.InNamespace(a.Namespace)); err != nil {
		fmt.Fprintf(w, "Events:     not readable (%v)\n", err)
		return
	}
	var events []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == "App" && e.Regarding.Name == a.Name {
			events = append(events, e)
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i].EventTime.Before(&events[j].EventTime) })
	if len(events) > 10 {
		events = events[len(events)-10:]
	}
	fmt.Fprintln(w, "Events:")
	for _, e := range events {
		fmt.Fprintf(w, "  %-7s %-20s %s\n", e.Type, e.Reason, e.Note)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
