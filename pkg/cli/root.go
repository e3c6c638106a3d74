package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// options are what every command shares: the caller's kubeconfig flags
// (--namespace, --context, --kubeconfig as kubectl has them) and streams.
type options struct {
	flags   *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams
}

// NewRootCommand is kubectl knapp.
func NewRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &options{flags: genericclioptions.NewConfigFlags(true), streams: streams}
	root := &cobra.Command{
		Use:           "kubectl-knapp",
		Short:         "See and release knapp Apps: revisions, traffic, rollouts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Cobra's own output (help, shell completion) goes to the streams too.
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	o.flags.AddFlags(root.PersistentFlags())
	root.AddCommand(
		newGetCommand(o), newDescribeCommand(o), newRouteCommand(o),
		newCanaryCommand(o), newPromoteCommand(o), newRollbackCommand(o),
		newPauseCommand(o, true), newPauseCommand(o, false), newBuildCommand(o),
		newConsoleCommand(o),
	)
	o.registerCompletions(root)
	return root
}

// client is a client of the caller's cluster, as the caller.
func (o *options) client() (client.Client, error) {
	return o.watchClient()
}

// watchClient is client that can also watch (the console's live pages).
func (o *options) watchClient() (client.WithWatch, error) {
	cfg, err := o.flags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return client.NewWithWatch(cfg, client.Options{Scheme: scheme})
}

// namespace is --namespace, else the kubeconfig context's.
func (o *options) namespace() (string, error) {
	ns, _, err := o.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("finding the namespace: %w", err)
	}
	return ns, nil
}
