package v1alpha1

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// GitTransport is how the build fetches a git URL, which decides the kind
// of credentials spec.build.git.secretName must hold.
type GitTransport string

// Transports of git URLs that knapp accepts (validateGitURL).
const (
	GitSSH   GitTransport = "ssh"
	GitHTTPS GitTransport = "https"
	GitHTTP  GitTransport = "http"
)

// GitSecretKnownHosts is the key of an SSH git Secret with the server's
// host keys, in ssh's known_hosts format.
const GitSecretKnownHosts = "known_hosts"

// GitURLTransport is the transport of a git URL that validateGitURL
// accepts: its scheme, or ssh for git's scp-like user@host:path.
func GitURLTransport(url string) GitTransport {
	scheme, _, hasScheme := strings.Cut(url, "://")
	if !hasScheme {
		return GitSSH
	}
	return GitTransport(strings.ToLower(scheme))
}

func validateGitSecret(g GitSource, p *field.Path) field.ErrorList {
	if g.SecretName == "" {
		return nil
	}
	errs := validateObjectName(g.SecretName, p)
	if GitURLTransport(g.URL) == GitHTTP {
		errs = append(errs, field.Invalid(p, g.SecretName,
			"credentials would cross the network unencrypted: spec.build.git.url must be https:// or ssh when a Secret is named"))
	}
	return errs
}

// GitSecretProblem says why secret cannot hold the credentials to clone url
// ("" when it can): an ssh URL needs a kubernetes.io/ssh-auth Secret with a
// private key and known_hosts (the clone never trusts a host key it was not
// given), an https URL a kubernetes.io/basic-auth Secret with a username
// and a password or token.
func GitSecretProblem(url string, secret *corev1.Secret) string {
	name := secret.Namespace + "/" + secret.Name
	var wantType corev1.SecretType
	var keys []string
	var why string
	switch GitURLTransport(url) {
	case GitSSH:
		wantType, keys = corev1.SecretTypeSSHAuth, []string{corev1.SSHAuthPrivateKey, GitSecretKnownHosts}
		why = "an ssh URL needs a private key and the server's host keys (known_hosts, such as the output of ssh-keyscan <host>, checked against the fingerprints the git server publishes): the clone never trusts a host key it was not given"
	case GitHTTPS:
		wantType, keys = corev1.SecretTypeBasicAuth, []string{corev1.BasicAuthUsernameKey, corev1.BasicAuthPasswordKey}
		why = "an https URL needs a username and a password (an access token as the password)"
	default:
		return fmt.Sprintf("Secret %s cannot be used with %s: credentials are sent over https:// and ssh only", name, url)
	}
	if secret.Type != wantType {
		return fmt.Sprintf("Secret %s is of type %q, not %s with keys %s: %s", name, secret.Type, wantType, strings.Join(keys, " and "), why)
	}
	for _, k := range keys {
		if len(secret.Data[k]) == 0 {
			return fmt.Sprintf("Secret %s has no key %s (or it is empty): %s", name, k, why)
		}
	}
	return ""
}
