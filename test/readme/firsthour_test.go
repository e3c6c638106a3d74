package readme

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// readsSettle is how long a block's reads are run again until they show
// what the README does: knapp and Knative act on a write in well under a
// second on a quiet machine.
const readsSettle = 90 * time.Second

// TestFirstHour runs each shell block of "Your first hour" in order, in
// one shell session, and checks it prints what the README shows.
func TestFirstHour(t *testing.T) {
	if !devUp {
		t.Skip("make dev is not running: KUBEBUILDER_ASSETS is not set (make test sets it)")
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines, first, err := section(string(readme), "## Your first hour")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blocks(lines, first)
	if err != nil {
		t.Fatal(err)
	}
	sh := newShell(root, t.TempDir())
	ctx := context.Background()
	for _, b := range bs {
		cmds := commands(b.code)
		if i := serving(cmds); i >= 0 {
			runConsoleBlock(ctx, t, sh, b, cmds, i)
			continue
		}
		once, again := split(cmds)
		out, err := sh.run(ctx, join(once))
		if err != nil {
			t.Fatalf("README line %d: %v; it printed:\n%s", b.line, err, out)
		}
		got := outputLines(out)
		if len(again) > 0 {
			deadline := time.Now().Add(readsSettle)
			for tries := 1; ; tries++ {
				reread, err := sh.run(ctx, join(again))
				if err != nil {
					t.Fatalf("README line %d: %v; it printed:\n%s", b.line, err, reread)
				}
				got = append(outputLines(out), outputLines(reread)...)
				if matches(b.want, got) || time.Now().After(deadline) {
					if tries > 1 {
						t.Logf("README line %d: the reads showed it at try %d", b.line, tries)
					}
					break
				}
				time.Sleep(time.Second)
			}
		}
		if !matches(b.want, got) {
			t.Errorf("README line %d: %s", b.line, show(b.want, got))
		}
	}
}

// runConsoleBlock runs a block that ends by starting kubectl knapp console
// (cmds[i]): the commands before it, then the console, whose first line
// is the URL to open. It checks what they printed, then does in Chromium
// what the README says to do on the page (promoteInConsole), and stops the
// console as Ctrl-C does.
func runConsoleBlock(ctx context.Context, t *testing.T, sh *shell, b block, cmds []command, i int) {
	t.Helper()
	if i != len(cmds)-1 {
		t.Fatalf("README line %d: kubectl knapp console keeps running, so it is the block's last command", b.line)
	}
	out, err := sh.run(ctx, join(cmds[:i]))
	if err != nil {
		t.Fatalf("README line %d: %v; it printed:\n%s", b.line, err, out)
	}
	first, stop, err := sh.serve(ctx, cmds[i].text)
	if err != nil {
		t.Fatalf("README line %d: %v", b.line, err)
	}
	defer stop()
	got := append(outputLines(out), first)
	if !matches(b.want, got) {
		t.Fatalf("README line %d: %s", b.line, show(b.want, got))
	}
	login := loginURL.FindString(first)
	if login == "" {
		t.Fatalf("README line %d: kubectl knapp console printed no URL to open: %q", b.line, first)
	}
	promoteInConsole(ctx, t, login)
	t.Logf("README line %d: in the console it printed, Chromium showed the split knapp asks for and pressed Promote", b.line)
}
