package testenv

import (
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"knapp.dev/knapp/test/reap"
)

// WithRestartableAPIServer prepares kube-apiserver for StopAPIServer and
// StartAPIServer:
//   - its serving certificate, keys and client CA go in dir (which the
//     caller creates, and removes after Stop). By default envtest puts them
//     in a temporary directory that stopping the apiserver deletes, and a
//     restart makes a new serving CA that no kubeconfig written before
//     trusts.
//   - on SIGTERM it ends open watches within 2 s. Without
//     --shutdown-watch-termination-grace-period it does not end them
//     itself, and its HTTP server waits its full shutdown timeout (60 s)
//     for any client that keeps a watch open, such as a running controller.
func WithRestartableAPIServer(dir string) Option {
	return func(e *envtest.Environment) {
		s := e.ControlPlane.GetAPIServer()
		s.CertDir = dir
		s.Configure().Set("shutdown-watch-termination-grace-period", "2s")
	}
}

// StopAPIServer stops kube-apiserver only (SIGTERM, as a rolling upgrade of
// a control plane would); etcd keeps running with its data.
func (e *Env) StopAPIServer() error {
	s := e.env.ControlPlane.APIServer
	if s == nil {
		return errors.New("no kube-apiserver to stop")
	}
	if err := s.Stop(); err != nil {
		return fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	return nil
}

// StartAPIServer starts kube-apiserver again after StopAPIServer, on the
// same port and etcd, with the certificates of WithRestartableAPIServer, so
// Config, Client and every kubeconfig from AddUser stay valid (envtest
// keeps the client CA in memory; the users it provisioned still
// authenticate). The port was free while it was down: another process
// could have taken it, which Start reports.
func (e *Env) StartAPIServer() error {
	s := e.env.ControlPlane.APIServer
	if s == nil || s.CertDir == "" {
		return errors.New("kube-apiserver's certificates were deleted when it stopped: start the Env WithRestartableAPIServer to restart it")
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("starting kube-apiserver again: %w", err)
	}
	return reap.Children()
}
