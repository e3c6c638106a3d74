package platform

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// HostPolicy says which host names (the first label of an App's host,
// <name>.sls-<cluster>.<suffix>) Apps may take, so that short names such as
// login or api cannot be squatted first-come.
type HostPolicy struct {
	// Reserved are names no App may take.
	Reserved []string `json:"reserved,omitempty"`
	// ByNamespace allow-lists names per namespace: an App of a namespace
	// listed here may take only the names listed for it.
	ByNamespace map[string][]string `json:"byNamespace,omitempty"`
}

// HostProblem says why an App in namespace may not take the host name
// label ("" when it may), naming the platform setting that decides.
func (c Config) HostProblem(namespace, label string) string {
	if slices.Contains(c.Hosts.Reserved, label) {
		return fmt.Sprintf("the host name %s is reserved by the platform (platform config hosts.reserved); choose another with spec.domain.name", label)
	}
	if allowed, listed := c.Hosts.ByNamespace[namespace]; listed && !slices.Contains(allowed, label) {
		return fmt.Sprintf("namespace %s may take only the host names %s (platform config hosts.byNamespace), not %s; set spec.domain.name to one of them",
			namespace, strings.Join(allowed, ", "), label)
	}
	return ""
}

// validate checks that every name is a DNS label.
func (p HostPolicy) validate() []error {
	var errs []error
	check := func(key, name string) {
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a host name: %s", key, name, strings.Join(msgs, "; ")))
		}
	}
	for _, name := range p.Reserved {
		check("hosts.reserved", name)
	}
	for ns, names := range p.ByNamespace {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("hosts.byNamespace: %q is not a namespace name: %s", ns, strings.Join(msgs, "; ")))
		}
		for _, name := range names {
			check("hosts.byNamespace."+ns, name)
		}
	}
	return errs
}
