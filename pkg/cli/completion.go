package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/completion"

	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"knapp.dev/knapp/api/v1alpha1"
)

// CompletionCommand is the name kubectl runs for a plugin's shell
// completion (kubectl_complete-<plugin> on the PATH, called with the
// words typed so far): make build links it to kubectl-knapp, whose main
// answers as `kubectl-knapp __complete`.
const CompletionCommand = "kubectl_complete-knapp"

// registerCompletions completes what kubectl completes, with kubectl's own
// functions and the caller's kubeconfig: --namespace, --context, --cluster
// and --user, App names as each command's first argument, and revisions
// where a command takes one.
func (o *options) registerCompletions(root *cobra.Command) {
	f := cmdutil.NewFactory(o.flags)
	completion.SetFactoryForCompletion(f)
	noFiles := cobra.ShellCompDirectiveNoFileComp
	_ = root.RegisterFlagCompletionFunc("namespace", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completion.CompGetResource(f, "namespace", toComplete), noFiles
	})
	_ = root.RegisterFlagCompletionFunc("context", completion.ContextCompletionFunc)
	_ = root.RegisterFlagCompletionFunc("cluster", completion.ClusterCompletionFunc)
	_ = root.RegisterFlagCompletionFunc("user", completion.UserCompletionFunc)

	apps := completion.ResourceNameCompletionFunc(f, "apps.knapp.dev")
	for _, cmd := range root.Commands() {
		if !strings.Contains(cmd.Use, "APP") {
			continue
		}
		cmd.ValidArgsFunction = apps
		switch cmd.Name() {
		case "rollback":
			// rollback APP [REVISION]
			cmd.ValidArgsFunction = func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) == 1 {
					return o.revisionNames(c.Context(), args[0], toComplete, false), noFiles
				}
				return apps(c, args, toComplete)
			}
		case "canary":
			for flag, latest := range map[string]bool{"revision": true, "stable": false} {
				_ = cmd.RegisterFlagCompletionFunc(flag, func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
					if len(args) == 0 {
						return nil, noFiles
					}
					return o.revisionNames(c.Context(), args[0], toComplete, latest), noFiles
				})
			}
		}
	}
}

// revisionNames are the App's revisions that start with prefix, and
// "latest" where a canary may follow it; none when the App cannot be read.
func (o *options) revisionNames(ctx context.Context, app, prefix string, latest bool) []string {
	if ctx == nil {
		ctx = context.Background()
	}
	_, a, err := o.getApp(ctx, app)
	if err != nil {
		return nil
	}
	var names []string
	for _, r := range a.Status.Revisions {
		if strings.HasPrefix(r.Name, prefix) {
			names = append(names, r.Name)
		}
	}
	if latest && strings.HasPrefix(v1alpha1.CanaryLatest, prefix) {
		names = append(names, v1alpha1.CanaryLatest)
	}
	return names
}
