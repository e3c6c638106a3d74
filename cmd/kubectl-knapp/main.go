// Command kubectl-knapp is the kubectl plugin of knapp (kubectl knapp):
// see Apps' revisions, traffic and rollouts, and release, promote or roll
// back with the caller's own permissions.
package main

import (
	"fmt"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"knapp.dev/knapp/pkg/cli"
)

func main() {
	root := cli.NewRootCommand(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
