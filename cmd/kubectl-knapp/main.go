// Command kubectl-knapp is the kubectl plugin of knapp (kubectl knapp):
// see Apps' revisions, traffic and rollouts, and release, promote or roll
// back with the caller's own permissions.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"knapp.dev/knapp/pkg/cli"
)

func main() {
	root := cli.NewRootCommand(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	if filepath.Base(os.Args[0]) == cli.CompletionCommand {
		// kubectl asks for completions of `kubectl knapp <words>`.
		root.SetArgs(append([]string{cobra.ShellCompRequestCmd}, os.Args[1:]...))
	}
	// Ctrl-C ends the console's server gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		stop()
		os.Exit(1)
	}
}
