package platform

import (
	"fmt"
	"strings"
)

// EnvironmentLabel on a namespace names the environment of the Apps in it.
const EnvironmentLabel = "knapp.dev/environment"

// UnknownEnvironmentError says a namespace names an environment the platform
// does not define.
type UnknownEnvironmentError struct {
	Namespace   string
	Environment string
	Known       []string
}

func (e *UnknownEnvironmentError) Error() string {
	return fmt.Sprintf("namespace %s has label %s=%q, which is not an environment of this platform; use one of: %s",
		e.Namespace, EnvironmentLabel, e.Environment, strings.Join(e.Known, ", "))
}

// EnvironmentFor returns the environment a namespace's labels select. A
// namespace without the label gets no environment defaults.
func (c Config) EnvironmentFor(namespace string, labels map[string]string) (Environment, error) {
	name, ok := labels[EnvironmentLabel]
	if !ok {
		return Environment{}, nil
	}
	env, ok := c.Environments[name]
	if !ok {
		return Environment{}, &UnknownEnvironmentError{Namespace: namespace, Environment: name, Known: c.EnvironmentNames()}
	}
	env.Name = name
	return env, nil
}
