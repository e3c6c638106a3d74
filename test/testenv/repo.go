package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is knapp's module; its go.mod marks the repository root.
const modulePath = "knapp.dev/knapp"

// RepoRoot returns the repository root: the nearest directory at or above
// the working directory whose go.mod declares knapp's module. Tests run in
// their package's directory and `go run` in wherever it was called from, so
// the root is searched for rather than assumed.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		ok, err := declaresModule(filepath.Join(dir, "go.mod"), modulePath)
		if err != nil {
			return "", err
		}
		if ok {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod declaring module %s at or above the working directory", modulePath)
		}
		dir = parent
	}
}

// declaresModule reports whether the go.mod at path declares module mod. A
// missing file is not an error: the search goes on upwards.
func declaresModule(path, mod string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == mod, nil
		}
	}
	return false, sc.Err()
}
