package hookapi

import (
	"fmt"
	"net/url"
	"strings"
)

// NormalizeRepoURL reduces a git repository URL to host/path, so that the
// forms a git server gives one repository compare equal:
//
//	https://GitHub.com/octo/shop.git/  -> github.com/octo/shop
//	ssh://git@github.com:22/octo/shop  -> github.com/octo/shop
//	git@github.com:octo/shop.git       -> github.com/octo/shop
//
// The scheme, user, password and port are dropped, the host is lower-cased,
// and a trailing / and .git are stripped from the path.
func NormalizeRepoURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("empty repository URL")
	}
	var host, path string
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("repository URL %q: %w", raw, err)
		}
		host, path = u.Hostname(), u.Path
	} else {
		// scp-like syntax: [user@]host:path, where host may be [IPv6]. A
		// colon must come before any slash, otherwise it is a local path.
		rest := s
		if at := strings.Index(rest, "@"); at >= 0 && !strings.ContainsAny(rest[:at], "/:") {
			rest = rest[at+1:]
		}
		var ok bool
		if strings.HasPrefix(rest, "[") {
			host, path, ok = strings.Cut(rest[1:], "]:")
		} else {
			host, path, ok = strings.Cut(rest, ":")
			ok = ok && !strings.Contains(host, "/")
		}
		if !ok {
			return "", fmt.Errorf("repository URL %q: want https://host/path, ssh://host/path or user@host:path", raw)
		}
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	path = strings.TrimRight(path, "/")
	if host == "" {
		return "", fmt.Errorf("repository URL %q has no host", raw)
	}
	if path == "" {
		return "", fmt.Errorf("repository URL %q has no path", raw)
	}
	return host + "/" + path, nil
}

// SameRepo says whether two repository URLs name the same repository: the
// same host and path after NormalizeRepoURL. The path is compared without
// regard to case, as GitHub and GitLab do.
func SameRepo(a, b string) bool {
	na, err := NormalizeRepoURL(a)
	if err != nil {
		return false
	}
	nb, err := NormalizeRepoURL(b)
	if err != nil {
		return false
	}
	return strings.EqualFold(na, nb)
}
