package buildsteps

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"knapp.dev/knapp/api/v1alpha1"
)

// builderArgs runs the builder step of a build of app with a stand-in for
// kaniko's executor that prints its arguments, one per line.
func builderArgs(t *testing.T, app *v1alpha1.App) []string {
	t.Helper()
	_, builder := buildSteps(t, app)
	if !strings.Contains(builder.script, "exec /kaniko/executor ") {
		t.Fatalf("the builder step does not exec /kaniko/executor:\n%s", builder.script)
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "executor")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	builder.script = strings.Replace(builder.script, "/kaniko/executor", stub, 1)
	out, err := builder.run(t, nil)
	if err != nil {
		t.Fatalf("builder step: %v\n%s", err, out)
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

func TestBuilderArguments(t *testing.T) {
	requireTools(t, "sh")
	base := []string{
		"--context=dir:///workspace/src/.",
		"--dockerfile=/workspace/src/./Dockerfile",
		"--destination=registry.example.com/team-a/shop:main",
		"--digest-file=/workspace/digest",
	}
	if got := builderArgs(t, newApp("https://git.example.com/shop.git", "")); !slices.Equal(got, base) {
		t.Errorf("without build arguments: %q, want %q", got, base)
	}

	// Each argument is one --build-arg, taken as text: quotes, $(...),
	// backticks, globs and spaces reach kaniko as they are.
	args := []v1alpha1.BuildArg{
		{Name: "GO_VERSION", Value: "1.26"},
		{Name: "GREETING", Value: `hello  "world"`},
		{Name: "TRAP", Value: "$(touch /tmp/knapp-pwned) `id` ${HOME} * ; exit 3"},
		{Name: "EMPTY"},
	}
	app := newApp("https://git.example.com/shop.git", "", func(b *v1alpha1.BuildSpec) {
		b.BuildArgs = args
		b.CacheRepository = "registry.example.com/team-a/shop-cache"
	})
	want := append(slices.Clone(base),
		"--build-arg=GO_VERSION=1.26",
		`--build-arg=GREETING=hello  "world"`,
		"--build-arg=TRAP=$(touch /tmp/knapp-pwned) `id` ${HOME} * ; exit 3",
		"--build-arg=EMPTY=",
		"--cache=true",
		"--cache-repo=registry.example.com/team-a/shop-cache",
	)
	if got := builderArgs(t, app); !slices.Equal(got, want) {
		t.Errorf("arguments:\n got %q\nwant %q", got, want)
	}
	if _, err := os.Stat("/tmp/knapp-pwned"); err == nil {
		t.Error("a build argument ran a command")
	}
}
