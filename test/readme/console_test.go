package readme

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"knapp.dev/knapp/test/browser"
)

var screenshots = flag.Bool("screenshots", false, "write the console's App page on the make dev stack to screenshots/ (the README shows it)")

// loginURL is the URL kubectl knapp console prints to open.
var loginURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/login\?token=[0-9a-f]+`)

// The revisions of team-a/shop in the first hour: the image 1.4.2, then
// 1.4.3 (their names hash the template, the same on every machine).
const (
	shopFirst  = "shop-9ed87a5ade"
	shopSecond = "shop-b93a509cc1"
)

// promoteInConsole does what the first hour says to do in the console:
// open the URL, go to team-a/shop, see the canary asked at 20 %, click
// Promote and see the split knapp asks for turn to 100 % for it. No data
// plane runs under make dev, so Knative routes nothing and the page shows
// the split knapp asks for beside it.
func promoteInConsole(ctx context.Context, t *testing.T, login string) {
	t.Helper()
	tab := browser.Open(ctx, t)
	u, err := url.Parse(login)
	if err != nil {
		t.Fatal(err)
	}
	asked := func(rev string) chromedp.CSS {
		return chromedp.CSS(fmt.Sprintf(`.revision[data-name=%q] .asked`, rev))
	}
	tab.Step("logging in: the Apps of team-a", chromedp.Navigate(login),
		chromedp.WaitVisible(chromedp.CSS(`a[href="#/team-a/shop"]`)),
		browser.WaitText(chromedp.CSS(`tr[data-app="team-a/shop"] .traffic`), "asked "+shopFirst+" 80%, "+shopSecond+" 20%"))
	tab.Step("the App page of team-a/shop", chromedp.Navigate("http://"+u.Host+"/?page=app#/team-a/shop"),
		browser.WaitText(asked(shopSecond), "asked 20%"), browser.WaitText(asked(shopFirst), "asked 80%"))
	if *screenshots {
		if err := os.WriteFile(filepath.Join("screenshots", "console-dev.png"), tab.Screenshot(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tab.Step("Promote", chromedp.Click(chromedp.CSS(`#promote`)),
		browser.WaitText(chromedp.CSS(`#notice`), shopSecond+" is the stable revision and takes all traffic"),
		browser.WaitText(asked(shopSecond), "asked 100%"), browser.WaitText(asked(shopFirst), "asked 0%"))
}
