package stack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Knapp says how to run knapp's binary (cmd/knapp, built into bin/knapp).
type Knapp struct {
	// Bin is the binary; Dir its working directory.
	Bin, Dir string
	// Kubeconfig reaches the control plane.
	Kubeconfig string
	// Args are the flags after --kubeconfig. Each knapp listens on
	// :8080, :8081 and :8082 unless they say otherwise
	// (--metrics-bind-address=0 and so on), so two need different ones.
	Args []string
	// Out, if set, gets each line of output behind Prefix; else LogFile.
	Out    io.Writer
	Prefix string
	// LogFile takes the output when Out is nil.
	LogFile string
}

// Start starts knapp.
func (k Knapp) Start() (*Process, error) {
	if _, err := os.Stat(k.Bin); err != nil {
		return nil, fmt.Errorf("%w (build it with: go build -o bin/knapp ./cmd/knapp)", err)
	}
	args := append([]string{"--kubeconfig=" + k.Kubeconfig}, k.Args...)
	Progress("starting %s %v", k.Bin, args)
	cmd := exec.Command(k.Bin, args...)
	cmd.Dir = k.Dir
	switch {
	case k.Out != nil:
		return StartPrefixed("knapp", cmd, k.Out, k.Prefix)
	case k.LogFile != "":
		return StartLogged("knapp", cmd, k.LogFile)
	default:
		return nil, errors.New("knapp's output needs Out or LogFile")
	}
}
