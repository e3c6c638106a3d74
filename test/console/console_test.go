package console

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/pkg/cli"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/test/browser"
	"knapp.dev/knapp/test/testenv"
)

var screenshots = flag.Bool("screenshots", false, "write the App page's screenshots to screenshots/ (the README shows them)")

const team = "team-a"

func TestMain(m *testing.M) {
	if testenv.SkipSuite() {
		fmt.Println("skipping console tests: KUBEBUILDER_ASSETS is not set (make test sets it)")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The team's editor opens the console, sees the canary's share, clicks
// Promote and sees the canary take all traffic once knapp rolled it out.
func TestPromoteFromTheConsole(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	env, err := testenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	admin := env.Client
	startKnapp(ctx, t, env)
	editor, err := env.TenantKubeconfig(ctx, team, "alice", "knapp-app-edit", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testenv.ActAsKnative(t, admin, team)

	// An App with a stable revision and a canary at 20%.
	shop := &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: team, Name: "shop"},
		Spec: v1alpha1.AppSpec{Image: "registry.example.com/shop:1.0.0"}}
	if err := admin.Create(ctx, shop); err != nil {
		t.Fatal(err)
	}
	first := waitApp(ctx, t, admin, "shop", func(a *v1alpha1.App) bool { return a.Status.LatestReadyRevisionName != "" }).Status.LatestReadyRevisionName
	patch := []byte(fmt.Sprintf(`{"spec":{"image":"registry.example.com/shop:2.0.0","release":{"stable":%q,"canary":{"revision":"latest","percent":20}}}}`, first))
	if err := admin.Patch(ctx, shop, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		t.Fatal(err)
	}
	canary := waitApp(ctx, t, admin, "shop", func(a *v1alpha1.App) bool {
		return a.Status.CanaryRevision != "" && a.Status.CanaryPercent != nil && *a.Status.CanaryPercent == 20 && len(a.Status.Revisions) == 2
	}).Status.CanaryRevision

	login := startConsole(ctx, t, editor)
	checkDefences(ctx, t, login)
	if r := readApp(ctx, t, admin, "shop").Spec.Release; r.Canary == nil || r.Stable != first {
		t.Fatalf("the refused requests changed the App: spec.release %+v", r)
	}
	tab := browser.Open(ctx, t)
	percent := func(rev string) chromedp.CSS {
		return chromedp.CSS(fmt.Sprintf(`.revision[data-name=%q] .percent`, rev))
	}
	u, _ := url.Parse(login)
	tab.Step("logging in: the team's Apps", chromedp.Navigate(login), chromedp.WaitVisible(chromedp.CSS(`a[href="#/team-a/shop"]`)))
	// A new query, so that the browser loads the page anew (a change of
	// the fragment alone fires no load event to wait for).
	tab.Step("the App page", chromedp.Navigate("http://"+u.Host+"/?page=app#/team-a/shop"),
		browser.WaitText(percent(canary), "20%"), browser.WaitText(percent(first), "80%"))
	before := tab.Screenshot()
	tab.Step("Promote", chromedp.Click(chromedp.CSS(`#promote`)),
		browser.WaitText(chromedp.CSS(`#notice`), "is the stable revision and takes all traffic"),
		browser.WaitText(percent(canary), "100%"))
	after := tab.Screenshot()

	// The list is live too: an App that comes shows without a reload.
	tab.Step("the Apps of team-a", chromedp.Navigate("http://"+u.Host+"/?page=list#/team-a"),
		browser.WaitText(chromedp.CSS(`tr[data-app="team-a/shop"] .traffic`), canary+" 100%"),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	cart := &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: team, Name: "cart"},
		Spec: v1alpha1.AppSpec{Image: "registry.example.com/cart:1.0.0"}}
	if err := admin.Create(ctx, cart); err != nil {
		t.Fatal(err)
	}
	tab.Step("the new App in the list", browser.WaitText(chromedp.CSS(`tr[data-app="team-a/cart"]`), "cart"))
	if same, err := chromedp.Run(tab.Context(), chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !same {
		t.Errorf("the list page was loaded again to show the new App (%v)", err)
	}

	// The editor may not list Apps of every namespace: the page says why,
	// in the apiserver's words.
	tab.Step("every namespace's Apps", chromedp.Navigate("http://"+u.Host+"/?page=all#/"),
		browser.WaitText(chromedp.CSS(`#notice`), `Live updates refused: apps.knapp.dev is forbidden: User "alice" cannot list resource "apps"`))
	if r := readApp(ctx, t, admin, "shop").Spec.Release; r.Stable != canary || r.Canary != nil {
		t.Errorf("after Promote, spec.release is %+v", r)
	}
	rollout := pauseAndResume(ctx, t, tab, admin, "http://"+u.Host)
	if *screenshots {
		for name, png := range map[string][]byte{"app-canary.png": before, "app-promoted.png": after, "app-rollout.png": rollout} {
			if err := os.WriteFile(filepath.Join("screenshots", name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// startKnapp runs knapp's reconciler as cmd/knapp does.
func startKnapp(ctx context.Context, t *testing.T, env *testenv.Env) {
	t.Helper()
	cfg := platform.Default()
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: env.Scheme, Cache: app.CacheOptions(cfg),
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		t.Fatal(err)
	}
	r := &app.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("knapp"), Platform: cfg}
	if err := r.SetupWithManager(ctx, mgr); err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		t.Fatal("knapp's cache did not sync")
	}
}

// startConsole runs kubectl knapp console as the editor and returns the
// login URL it prints.
func startConsole(ctx context.Context, t *testing.T, kubeconfig string) string {
	t.Helper()
	out, w := io.Pipe()
	root := cli.NewRootCommand(genericiooptions.IOStreams{In: strings.NewReader(""), Out: w, ErrOut: w})
	root.SetArgs([]string{"--kubeconfig", kubeconfig, "-n", team, "console", "--port", "0"})
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(cctx); _ = w.Close() }()
	t.Cleanup(func() { cancel(); <-done })
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/login\?token=[0-9a-f]+`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u := url.FindString(sc.Text()); u != "" {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return u
		}
	}
	t.Fatalf("kubectl knapp console printed no login URL: %v", <-done)
	return ""
}

func readApp(ctx context.Context, t *testing.T, c client.Client, name string) *v1alpha1.App {
	t.Helper()
	a := &v1alpha1.App{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: team, Name: name}, a); err != nil {
		t.Fatal(err)
	}
	return a
}

func waitApp(ctx context.Context, t *testing.T, c client.Client, name string, ok func(*v1alpha1.App) bool) *v1alpha1.App {
	t.Helper()
	var a *v1alpha1.App
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		a = &v1alpha1.App{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: team, Name: name}, a); err != nil {
			return false, nil
		}
		return ok(a), nil
	})
	if err != nil {
		t.Fatalf("App team-a/%s: %v; status %+v", name, err, a.Status)
	}
	return a
}
