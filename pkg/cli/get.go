package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

func newGetCommand(o *options) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "get [APP]",
		Short: "List Apps with their readiness, traffic and rollout",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			apps, err := o.listApps(cmd.Context(), args, all)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(o.streams.Out, 0, 4, 3, ' ', 0)
			fmt.Fprintln(w, "NAMESPACE\tNAME\tREADY\tREASON\tTRAFFIC\tROLLOUT\tURL")
			for i := range apps {
				a := &apps[i]
				status, reason := readiness(a)
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Namespace, a.Name, status, reason, listTrafficWords(a, askedSplit(a)), rolloutWords(a), a.Status.URL)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "List the Apps of every namespace the caller may read.")
	return cmd
}

// listApps is the App named in args, or the namespace's (or every
// namespace's) Apps.
func (o *options) listApps(ctx context.Context, args []string, all bool) ([]v1alpha1.App, error) {
	if len(args) == 1 {
		_, app, err := o.getApp(ctx, args[0])
		if err != nil {
			return nil, err
		}
		return []v1alpha1.App{*app}, nil
	}
	c, err := o.client()
	if err != nil {
		return nil, err
	}
	var opts []client.ListOption
	ns := ""
	if !all {
		if ns, err = o.namespace(); err != nil {
			return nil, err
		}
		opts = append(opts, client.InNamespace(ns))
	}
	list := &v1alpha1.AppList{}
	if err := c.List(ctx, list, opts...); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("you may not list Apps%s: %v", inNamespace(ns), apierrors.ReasonForError(err))
		}
		return nil, err
	}
	return list.Items, nil
}

func inNamespace(ns string) string {
	if ns == "" {
		return " in every namespace"
	}
	return " in namespace " + ns
}

// readiness is the Ready condition's status and reason.
func readiness(a *v1alpha1.App) (string, string) {
	c := a.Status.GetCondition(v1alpha1.ConditionReady)
	if c == nil {
		return "Unknown", "NotReconciled"
	}
	return string(c.Status), c.Reason
}

// trafficWords is the split in a few words: "shop-2 10% (canary), shop-1 90%".
func trafficWords(a *v1alpha1.App) string {
	var parts []string
	for _, r := range a.Status.Revisions {
		if r.Percent == nil || *r.Percent == 0 {
			continue
		}
		part := fmt.Sprintf("%s %d%%", r.Name, *r.Percent)
		if len(r.Tags) > 0 {
			part += " (" + strings.Join(r.Tags, ", ") + ")"
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// rolloutWords is where a progressive release stands: "Progressing 2/3".
func rolloutWords(a *v1alpha1.App) string {
	st := a.Status.Rollout
	if st == nil {
		return "-"
	}
	if st.Active() {
		return fmt.Sprintf("%s %d/%d", st.Phase, st.Step, stepCount(a))
	}
	return string(st.Phase)
}

// stepCount is how many steps the App's progressive release has.
func stepCount(a *v1alpha1.App) int {
	if r := a.Spec.Release; r != nil && r.Progressive != nil {
		return len(r.Progressive.Steps)
	}
	return 0
}
