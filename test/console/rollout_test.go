package console

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/test/browser"
)

// pauseAndResume gives team-a/cart a progressive release of a new image
// (knapp holds it at step 1: no Prometheus here), then the team's editor
// opens its page, sees the step ladder, and pauses and resumes it with
// the page's buttons. It returns a screenshot of the page in the rollout.
func pauseAndResume(ctx context.Context, t *testing.T, tab *browser.Tab, admin client.Client, base string) []byte {
	t.Helper()
	waitApp(ctx, t, admin, "cart", func(a *v1alpha1.App) bool { return a.Status.LatestReadyRevisionName != "" })
	patch := []byte(`{"spec":{"image":"registry.example.com/cart:2.0.0","release":{"canary":{"revision":"latest"},"progressive":{` +
		`"steps":[{"percent":20,"pause":"1m"},{"percent":50,"pause":"1m"}],"analysis":{"successRate":99}}}}}`)
	cart := &v1alpha1.App{}
	cart.Namespace, cart.Name = team, "cart"
	if err := admin.Patch(ctx, cart, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		t.Fatal(err)
	}
	canary := waitApp(ctx, t, admin, "cart", func(a *v1alpha1.App) bool {
		r := a.Status.Rollout
		return r != nil && r.Phase == v1alpha1.RolloutProgressing && r.Step == 1
	}).Status.Rollout.Revision

	tab.Step("the rollout of team-a/cart", chromedp.Navigate(base+"/?page=rollout#/team-a/cart"),
		browser.WaitText(chromedp.CSS(`.step.current`), "20%"),
		browser.WaitText(chromedp.CSS(`#pause`), "Pause"),
		browser.WaitText(chromedp.CSS(fmt.Sprintf(`.revision[data-name=%q] .percent`, canary)), "20%"))
	shot := tab.Screenshot()
	tab.Step("Pause", chromedp.Click(chromedp.CSS(`#pause`)),
		browser.WaitText(chromedp.CSS(`#notice`), "the progressive release is paused"),
		browser.WaitText(chromedp.CSS(`#resume`), "Resume"))
	if p := readApp(ctx, t, admin, "cart").Spec.Release.Progressive; p == nil || !p.Paused {
		t.Errorf("after Pause, spec.release.progressive is %+v", p)
	}
	tab.Step("Resume", chromedp.Click(chromedp.CSS(`#resume`)),
		browser.WaitText(chromedp.CSS(`#notice`), "the progressive release goes on"),
		browser.WaitText(chromedp.CSS(`#pause`), "Pause"))
	if p := readApp(ctx, t, admin, "cart").Spec.Release.Progressive; p == nil || p.Paused {
		t.Errorf("after Resume, spec.release.progressive is %+v", p)
	}
	return shot
}
