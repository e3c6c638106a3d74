package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// change is one command's edit of an App's spec.release: the merge patch
// and what it does in words.
type change struct {
	release map[string]any
	words   string
}

// patchRelease applies a change of spec.release to the App.
func (o *options) patchRelease(ctx context.Context, name string, force bool, edit func(*v1alpha1.App) (change, error)) error {
	return o.patchApp(ctx, name, force, releaseEdit(edit))
}

// releaseEdit is a change of spec.release as an edit of the spec.
func releaseEdit(edit func(*v1alpha1.App) (change, error)) editFunc {
	return func(a *v1alpha1.App) (map[string]any, string, error) {
		ch, err := edit(a)
		return map[string]any{"release": ch.release}, ch.words, err
	}
}

// patchApp merge-patches the App's spec as the caller (applyChange) and
// prints what changed.
func (o *options) patchApp(ctx context.Context, name string, force bool, edit editFunc) error {
	c, app, err := o.getApp(ctx, name)
	if err != nil {
		return err
	}
	words, err := applyChange(ctx, c, app, force, edit)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.streams.Out, "app.knapp.dev/%s patched: %s\n", app.Name, words)
	return nil
}

// editFunc is one release operation: the merge patch of the App's spec it
// makes, and what it does in words.
type editFunc func(*v1alpha1.App) (spec map[string]any, words string, err error)

// applyChange is every release operation's write, the plugin's and the
// console's: refused on an App Argo CD manages unless force (the next sync
// would undo it), else a merge patch of the spec as the caller, whose
// refusals are said plainly.
func applyChange(ctx context.Context, c client.Client, app *v1alpha1.App, force bool, edit editFunc) (string, error) {
	if why := argoCDManaged(app); why != "" && !force {
		return "", fmt.Errorf("App %s/%s is managed by Argo CD (%s): change its spec in its git repository, or pass --force (the next sync undoes it)", app.Namespace, app.Name, why)
	}
	spec, words, err := edit(app)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(map[string]any{"spec": spec})
	if err != nil {
		return "", err
	}
	if err := c.Patch(ctx, app, client.RawPatch(types.MergePatchType, data)); err != nil {
		switch {
		case apierrors.IsForbidden(err):
			return "", fmt.Errorf("you may not patch Apps in namespace %s: %v", app.Namespace, apierrors.ReasonForError(err))
		case apierrors.IsInvalid(err):
			return "", fmt.Errorf("the App refused the change: %v", err)
		}
		return "", fmt.Errorf("patching App %s/%s: %w", app.Namespace, app.Name, err)
	}
	return words, nil
}

func newCanaryCommand(o *options) *cobra.Command {
	var (
		revision, stable string
		percent          int
		headers, cookies []string
		path             string
		force            bool
	)
	cmd := &cobra.Command{
		Use:   "canary APP --revision R [--stable S] [--percent N] [--header k=v] [--cookie n[=v]] [--path /p]",
		Short: "Send a share of the traffic, and requests that match, to a revision",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if percent < 0 || percent > 100 {
				return fmt.Errorf("--percent %d: must be between 0 and 100", percent)
			}
			rules, err := matchRules(headers, cookies, path)
			if err != nil {
				return err
			}
			return o.patchRelease(cmd.Context(), args[0], force, func(a *v1alpha1.App) (change, error) {
				if err := revisionExists(a, revision); err != nil {
					return change{}, err
				}
				canary := map[string]any{"revision": revision, "percent": percent, "match": rules}
				words := fmt.Sprintf("the canary is %s at %d%%", revision, percent)
				if len(rules) > 0 {
					words += fmt.Sprintf(", with %d match rule(s)", len(rules))
				}
				release := map[string]any{"canary": canary}
				switch {
				case stable != "":
					if err := revisionExists(a, stable); err != nil || stable == v1alpha1.CanaryLatest {
						return change{}, fmt.Errorf("--stable %q: must be one of App %s's revisions (see describe)", stable, a.Name)
					}
					release["stable"] = stable
					words += ", the stable " + stable
				case a.Spec.Release == nil || a.Spec.Release.Stable == "":
					// Name what serves now, so the canary cannot take it all.
					if plan, err := routedPlan(a); err == nil && plan.StableRevision != "" && plan.StableRevision != revision {
						release["stable"] = plan.StableRevision
						words += ", the stable " + plan.StableRevision
					}
				}
				return change{release: release, words: words}, nil
			})
		},
	}
	cmd.Flags().StringVar(&revision, "revision", "", `The canary's revision (one of the App's, see describe), or "latest".`)
	cmd.Flags().StringVar(&stable, "stable", "", "The stable revision, which takes the rest (default: the App's spec.release.stable, else the revision serving now).")
	cmd.Flags().IntVar(&percent, "percent", 0, "The canary's share of the traffic, 0-100.")
	cmd.Flags().StringArrayVar(&headers, "header", nil, "Requests with this header go to the canary: name=value or name:value; repeatable (all must match).")
	cmd.Flags().StringArrayVar(&cookies, "cookie", nil, "Requests with this cookie go to the canary: name or name=value.")
	cmd.Flags().StringVar(&path, "path", "", "Requests whose path starts with this go to the canary, such as /beta/.")
	cmd.Flags().BoolVar(&force, "force", false, "Patch an App Argo CD manages (its next sync undoes it).")
	_ = cmd.MarkFlagRequired("revision")
	return cmd
}

// matchRules turns the canary flags into one match rule (all conditions
// must hold), or none.
func matchRules(headers, cookies []string, path string) ([]map[string]any, error) {
	rule := map[string]any{}
	if len(headers) > 0 {
		hs := map[string]any{}
		for _, h := range headers {
			name, value, err := splitPair(h, "--header", "x-canary=true")
			if err != nil {
				return nil, err
			}
			hs[strings.ToLower(name)] = map[string]string{"exact": value}
		}
		rule["headers"] = hs
	}
	switch len(cookies) {
	case 0:
	case 1:
		name, value, _ := strings.Cut(cookies[0], "=")
		if name == "" {
			return nil, fmt.Errorf("--cookie %q: want name or name=value, such as canary=always", cookies[0])
		}
		rule["cookie"] = map[string]string{"name": name, "value": value}
	default:
		return nil, fmt.Errorf("--cookie given %d times: a match rule matches one cookie", len(cookies))
	}
	if path != "" {
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("--path %q: must start with /, such as /beta/", path)
		}
		rule["path"] = map[string]string{"prefix": path}
	}
	if len(rule) == 0 {
		return nil, nil
	}
	return []map[string]any{rule}, nil
}

// revisionExists: the App has the revision, or it is "latest".
func revisionExists(a *v1alpha1.App, revision string) error {
	if revision == v1alpha1.CanaryLatest {
		return nil
	}
	var names []string
	for _, r := range a.Status.Revisions {
		if r.Name == revision {
			return nil
		}
		names = append(names, r.Name)
	}
	return fmt.Errorf("revision %q is not one of App %s's: %s, or latest", revision, a.Name, strings.Join(names, ", "))
}

func newPromoteCommand(o *options) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "promote APP",
		Short: "Make the canary the stable revision: it takes all traffic",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.patchRelease(cmd.Context(), args[0], force, promote)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "Patch an App Argo CD manages (its next sync undoes it).")
	return cmd
}

func newRollbackCommand(o *options) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rollback APP [REVISION]",
		Short: "Send all traffic to the stable revision, or to REVISION, and drop the canary",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := ""
			if len(args) == 2 {
				target = args[1]
			}
			return o.patchRelease(cmd.Context(), args[0], force, rollback(target))
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "Patch an App Argo CD manages (its next sync undoes it).")
	return cmd
}

// newPauseCommand is pause (paused true) or resume.
func newPauseCommand(o *options, paused bool) *cobra.Command {
	var force bool
	use, short := "pause APP", "Hold a progressive release at its step"
	if !paused {
		use, short = "resume APP", "Let a paused progressive release go on"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.patchRelease(cmd.Context(), args[0], force, pause(paused))
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "Patch an App Argo CD manages (its next sync undoes it).")
	return cmd
}

func newBuildCommand(o *options) *cobra.Command {
	var revision string
	var force bool
	cmd := &cobra.Command{
		Use:   "build APP --revision R",
		Short: "Build the App from a git branch, tag or commit (spec.build.git.revision)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(revision) == "" {
				return fmt.Errorf("--revision: name a branch, tag or commit to build, such as main or v1.4.3")
			}
			return o.patchApp(cmd.Context(), args[0], force, func(a *v1alpha1.App) (map[string]any, string, error) {
				if a.Spec.Build == nil {
					return nil, "", fmt.Errorf("App %s has no spec.build: it runs spec.image %s", a.Name, a.Spec.Image)
				}
				if a.Spec.Build.GitRevision() == revision {
					// The same inputs are the same build: knapp starts each once.
					return nil, "", fmt.Errorf("App %s already builds %s (spec.build.git.revision), and knapp builds the same inputs once: "+
						"name a newer commit or tag, or push to %s (its hook builds the new commit)", a.Name, revision, revision)
				}
				return map[string]any{"build": map[string]any{"git": map[string]any{"revision": revision}}},
					fmt.Sprintf("builds %s from %s (was %s)", a.Name, revision, a.Spec.Build.GitRevision()), nil
			})
		},
	}
	cmd.Flags().StringVar(&revision, "revision", "", "The git branch, tag or commit to build.")
	cmd.Flags().BoolVar(&force, "force", false, "Patch an App Argo CD manages (its next sync undoes it).")
	return cmd
}

// promote makes the App's canary the stable revision: the one its release
// plan names (spec.release.canary, or the revision a progressive release
// is trying), which is what knapp routes, or asks Knative to route.
func promote(a *v1alpha1.App) (change, error) {
	plan, err := routedPlan(a)
	if err != nil {
		return change{}, err
	}
	c := plan.Canary
	if c == nil {
		return change{}, fmt.Errorf("App %s has no canary to promote (spec.release.canary and status.rollout name none)", a.Name)
	}
	if c.Latest {
		return change{}, fmt.Errorf("App %s's canary is the latest ready revision and none is ready yet: nothing to promote", a.Name)
	}
	return change{release: map[string]any{"stable": c.Revision, "canary": nil, "progressive": nil},
		words: fmt.Sprintf("%s is the stable revision and takes all traffic (was %s)", c.Revision, orDash(plan.StableRevision))}, nil
}

// rollback sends all traffic to target, or to the App's stable revision.
func rollback(target string) func(*v1alpha1.App) (change, error) {
	return func(a *v1alpha1.App) (change, error) {
		if target == "" {
			plan, err := routedPlan(a)
			if err != nil {
				return change{}, err
			}
			target = plan.StableRevision
		}
		if target == "" || target == v1alpha1.CanaryLatest {
			return change{}, fmt.Errorf("name the revision to roll back to: App %s's stable revision is the latest ready one and none is ready yet", a.Name)
		}
		if err := revisionExists(a, target); err != nil {
			return change{}, err
		}
		return change{release: map[string]any{"stable": target, "canary": nil, "progressive": nil},
			words: fmt.Sprintf("%s takes all traffic, no canary (was %s)", target, wasWords(a))}, nil
	}
}

// pause holds (or resumes) a progressive release.
func pause(paused bool) func(*v1alpha1.App) (change, error) {
	return func(a *v1alpha1.App) (change, error) {
		if a.Spec.Release == nil || a.Spec.Release.Progressive == nil {
			return change{}, fmt.Errorf("App %s has no progressive release (spec.release.progressive) to pause or resume", a.Name)
		}
		words := "the progressive release is paused"
		if !paused {
			words = "the progressive release goes on"
		}
		return change{release: map[string]any{"progressive": map[string]any{"paused": paused}}, words: words}, nil
	}
}
