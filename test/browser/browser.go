// Package browser drives Debian's headless Chromium from tests with
// chromedp, as a person uses a page: test/console against an apiserver of
// its own, test/readme against the make dev stack.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"k8s.io/apimachinery/pkg/util/wait"
)

// StepTimeout bounds one step of a test in the browser: a page load and
// the watch that brings knapp's change take seconds; a machine twice as
// busy must still make it.
const StepTimeout = 90 * time.Second

// Tab is one browser tab of a test.
type Tab struct {
	t   *testing.T
	ctx context.Context
}

// Open starts Chromium (skipping the test where it is not installed, but
// failing in CI, which installs it) and opens a blank tab. The browser
// stops with ctx or at the test's end.
func Open(ctx context.Context, t *testing.T) *Tab {
	t.Helper()
	path := chromiumPath(t)
	bctx, stop := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1100, 760),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true))...)
	t.Cleanup(stop)
	tab, closeTab := chromedp.NewContext(bctx)
	t.Cleanup(closeTab)
	// The first Run starts the browser and lives as long as tab; each step
	// after it gets a bound of its own, so a failure says where.
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return &Tab{t: t, ctx: tab}
}

// Step runs actions within StepTimeout; on failure it says what the step
// was and what the page shows.
func (b *Tab) Step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("in Chromium, %s: %v\n%s", what, err, b.Page())
	}
}

// Screenshot is a PNG of the tab.
func (b *Tab) Screenshot() []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("in Chromium, a screenshot: %v", err)
	}
	return png
}

// Page is the tab's address and text, for a failure's message.
func (b *Tab) Page() string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
	if err != nil {
		return "(the page could not be read: " + err.Error() + ")"
	}
	return "the page shows:\n" + text
}

// WaitText waits until the element's text holds want: pages update from
// watches, so the text arrives after knapp and Knative acted.
func WaitText(sel chromedp.CSS, want string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		var last string
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			got, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.NodeVisible))
			if err != nil {
				return false, nil
			}
			last = got
			return strings.Contains(got, want), nil
		})
		if err != nil {
			return chromedp.Void{}, fmt.Errorf("%s shows %q, not %q: %w", sel, last, want, err)
		}
		return chromedp.Void{}, nil
	}
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (test/run-tests.sh installs Debian's chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// Context is the tab's, for chromedp.Run of what Step does not cover (a
// value read from the page).
func (b *Tab) Context() context.Context { return b.ctx }
