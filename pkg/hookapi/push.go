package hookapi

import (
	"fmt"
	"strings"

	"knapp.dev/knapp/api/v1alpha1"
)

// Push is what a git server's push event says, whatever the server.
type Push struct {
	// Ref pushed, such as refs/heads/main or refs/tags/v1.
	Ref string
	// Commit the ref points to after the push (lower-case hex); empty when
	// Deleted.
	Commit string
	// Deleted: the push deleted the ref.
	Deleted bool
	// RepoURLs are the URLs the server gives the repository (https, ssh,
	// web); the push is of an App's repository when one of them is.
	RepoURLs []string
}

// Branch is the branch pushed, or "" for a ref that is not a branch.
func (p Push) Branch() string {
	b, ok := strings.CutPrefix(p.Ref, "refs/heads/")
	if !ok {
		return ""
	}
	return b
}

// IgnoreReason says why a push of the App's repository starts no build, or
// "" when it starts one.
func IgnoreReason(app *v1alpha1.App, p Push) string {
	branch := p.Branch()
	switch {
	case branch == "":
		return fmt.Sprintf("%s is not a branch: only pushes to branches start builds", p.Ref)
	case p.Deleted:
		return fmt.Sprintf("branch %q was deleted", branch)
	}
	want, from := app.Spec.Build.HookBranch()
	if branch != want {
		return fmt.Sprintf("push to branch %q: builds start only for pushes to %q (%s)", branch, want, from)
	}
	return ""
}

// isZeroSHA says whether s is git's all-zero object name, which a push event
// gives as the commit of a deleted ref.
func isZeroSHA(s string) bool {
	return s != "" && strings.Trim(s, "0") == ""
}

// checkCommit validates a full commit object name (SHA-1 or SHA-256, hex)
// and returns it in lower case.
func checkCommit(s string) (string, error) {
	if len(s) != 40 && len(s) != 64 {
		return "", fmt.Errorf("%w: commit %q is not a full 40 or 64 hex digit object name", ErrBadPayload, s)
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", fmt.Errorf("%w: commit %q is not hexadecimal", ErrBadPayload, s)
		}
	}
	return strings.ToLower(s), nil
}

// finishPush checks the fields every push event needs.
func finishPush(p Push) (Push, error) {
	if p.Ref == "" {
		return Push{}, fmt.Errorf("%w: the push has no ref", ErrBadPayload)
	}
	if p.Deleted || isZeroSHA(p.Commit) {
		p.Deleted, p.Commit = true, ""
	} else {
		if p.Commit == "" {
			return Push{}, fmt.Errorf("%w: the push has no commit", ErrBadPayload)
		}
		c, err := checkCommit(p.Commit)
		if err != nil {
			return Push{}, err
		}
		p.Commit = c
	}
	urls := p.RepoURLs[:0]
	for _, u := range p.RepoURLs {
		if u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return Push{}, fmt.Errorf("%w: the push names no repository URL", ErrBadPayload)
	}
	p.RepoURLs = urls
	return p, nil
}
