package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/sets"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

func newRouteCommand(o *options) *cobra.Command {
	var headers []string
	var cookies []string
	cmd := &cobra.Command{
		Use:   "route APP [PATH]",
		Short: "Say which revision would serve a request, and which rule decided (no request is sent)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := resources.Request{Path: "/", Headers: map[string]string{}}
			if len(args) == 2 {
				if !strings.HasPrefix(args[1], "/") {
					return fmt.Errorf("path %q: must start with /, such as /beta/cart", args[1])
				}
				req.Path = args[1]
			}
			for _, h := range headers {
				name, value, err := splitPair(h, "header", "-H x-canary:true")
				if err != nil {
					return err
				}
				req.Headers[strings.ToLower(name)] = value
			}
			if len(cookies) > 0 {
				req.Headers["cookie"] = strings.Join(cookies, "; ")
			}
			_, app, err := o.getApp(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			plan, err := routedPlan(app)
			if err != nil {
				return err
			}
			d := resources.RouteRequest(plan, req)
			if d.Revision != "" {
				fmt.Fprintf(o.streams.Out, "%s %s -> %s (%s)\n", req.Path, headerWords(req), d.Revision, d.Rule)
			} else {
				fmt.Fprintf(o.streams.Out, "%s %s -> %s\n", req.Path, headerWords(req), d.Rule)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&headers, "header", "H", nil, "A request header, name:value or name=value; repeatable.")
	cmd.Flags().StringArrayVar(&cookies, "cookie", nil, "A cookie, name=value; repeatable.")
	return cmd
}

// routedPlan is the release plan knapp renders for the App now: its spec's
// release, with a progressive release's split from status.rollout, and
// "latest" named as the revision it is.
func routedPlan(a *v1alpha1.App) (resources.ReleasePlan, error) {
	known := sets.New[string]()
	for _, r := range a.Status.Revisions {
		known.Insert(r.Name)
	}
	latest := a.Status.LatestReadyRevisionName
	if latest != "" {
		known.Insert(latest)
	}
	plan, err := resources.PlanRelease(a.Spec.Release, known)
	if err != nil {
		return plan, fmt.Errorf("the App's release cannot be routed: %w", err)
	}
	if r := a.Spec.Release; r != nil && r.Progressive != nil {
		plan = resources.ApplyRollout(plan, a.Status.Rollout, r.Progressive.Sticky)
	}
	if latest != "" {
		if plan.StableRevision == "" {
			plan.StableRevision = latest
		}
		if plan.Canary != nil && plan.Canary.Latest {
			plan.Canary.Revision, plan.Canary.Latest = latest, false
		}
	}
	return plan, nil
}

func headerWords(req resources.Request) string {
	if len(req.Headers) == 0 {
		return "(no headers)"
	}
	names := sets.List(sets.KeySet(req.Headers))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + req.Headers[n]
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// splitPair reads name:value or name=value.
func splitPair(s, what, example string) (string, string, error) {
	i := strings.IndexAny(s, ":=")
	if i <= 0 {
		return "", "", fmt.Errorf("%s %q: want name:value or name=value, such as %s", what, s, example)
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), nil
}
