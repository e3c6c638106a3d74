package testenv

// PinnedModuleDir returns where the Go module cache holds mod at version, a
// module knapp's go.mod does not require (such as a tool's, whose data files
// a test reads), downloading it if need be; its hash must be sum (go.sum's
// h1: form). go.mod and go.sum stay as they are.
func PinnedModuleDir(mod, version, sum string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return pinnedModuleDir(root, mod, version, sum)
}
