// Package buildsteps runs the shell steps of the platform's build template
// (config/build/knapp-build.yaml) as its pods would: the clone step with
// real git against a private repository over HTTPS (git http-backend) and
// over SSH (an SSH server in the test, git upload-pack behind it), and the
// builder step's argument handling with a stand-in for kaniko, which
// cannot run here. The parameters come from the Workflow knapp makes of an
// App, substituted into the steps' environment as Argo does.
package buildsteps
