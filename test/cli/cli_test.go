package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/test/testenv"
)

// createApp creates an App as the admin and writes its status as knapp
// would have (no knapp runs here: the plugin reads and patches the App).
func createApp(t *testing.T, app *v1alpha1.App, status v1alpha1.AppStatus) *v1alpha1.App {
	t.Helper()
	ctx := context.Background()
	app.Namespace = team
	if err := admin.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Delete(context.Background(), app) })
	app.Status = status
	if err := admin.Status().Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	return app
}

func read(t *testing.T, name string) *v1alpha1.App {
	t.Helper()
	app := &v1alpha1.App{}
	if err := admin.Get(context.Background(), client.ObjectKey{Namespace: team, Name: name}, app); err != nil {
		t.Fatal(err)
	}
	return app
}

func cond(typ string, status metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, LastTransitionTime: metav1.Now()}
}

// shopInRollout is an App in the second step of a progressive release:
// a header and a path cohort, 10% of the rest to the canary.
func shopInRollout(t *testing.T) *v1alpha1.App {
	return createApp(t, &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "shop"},
		Spec: v1alpha1.AppSpec{Image: "registry.example.com/shop:2.0.0", Release: &v1alpha1.Release{
			Canary: &v1alpha1.Canary{Revision: v1alpha1.CanaryLatest, Match: []v1alpha1.MatchRule{
				{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Exact: ptr.To("true")}}},
				{Path: &v1alpha1.StringMatch{Prefix: ptr.To("/beta/")}, RewritePath: "/"},
			}},
			Progressive: &v1alpha1.Progressive{Steps: []v1alpha1.RolloutStep{{Percent: 0}, {Percent: 10}, {Percent: 50}},
				Analysis: &v1alpha1.Analysis{SuccessRate: ptr.To(99.0)}},
		}},
	}, v1alpha1.AppStatus{
		URL:                     "http://shop.sls-local.knapp.example.com",
		LatestReadyRevisionName: "shop-bbbbbbbbbb",
		StableRevision:          "shop-aaaaaaaaaa",
		CanaryRevision:          "shop-bbbbbbbbbb",
		CanaryPercent:           ptr.To[int64](10),
		Traffic: []v1alpha1.TrafficTarget{
			{RevisionName: "shop-aaaaaaaaaa", Percent: ptr.To[int64](90)},
			{RevisionName: "shop-bbbbbbbbbb", Percent: ptr.To[int64](10), Tag: "canary", URL: "http://canary-shop.team-a.svc.cluster.local"},
		},
		Revisions: []v1alpha1.RevisionStatus{
			{Name: "shop-bbbbbbbbbb", Image: "registry.example.com/shop:2.0.0", Percent: ptr.To[int64](10), Tags: []string{"canary"}},
			{Name: "shop-aaaaaaaaaa", Image: "registry.example.com/shop:1.0.0", Percent: ptr.To[int64](90)},
		},
		Conditions: []metav1.Condition{
			cond(v1alpha1.ConditionReady, metav1.ConditionUnknown, v1alpha1.ReasonProgressing, "Step 2/3: revision shop-bbbbbbbbbb takes 10% (stable shop-aaaaaaaaaa)."),
			cond(v1alpha1.ConditionRolloutSucceeded, metav1.ConditionUnknown, v1alpha1.ReasonProgressing, "Step 2/3: revision shop-bbbbbbbbbb takes 10% (stable shop-aaaaaaaaaa)."),
		},
		Rollout: &v1alpha1.RolloutStatus{Revision: "shop-bbbbbbbbbb", StableRevision: "shop-aaaaaaaaaa", Phase: v1alpha1.RolloutProgressing,
			Step: 2, Percent: 10, StepElapsed: metav1.Duration{}, Message: "Step 2/3: canary shop-bbbbbbbbbb takes 10% (stable shop-aaaaaaaaaa); 0s of the step's 0s passed.",
			Analyses: []v1alpha1.AnalysisResult{
				{Metric: "requests", Value: "230", Stable: "2010", Threshold: ">= 50", Verdict: v1alpha1.VerdictPass},
				{Metric: "successRate", Value: "99.6%", Stable: "99.9%", Threshold: ">= 99%", Verdict: v1alpha1.VerdictPass},
			}},
	})
}

// cart is an App with a stable revision and a second one at 0%.
func cart(t *testing.T, annotations map[string]string) *v1alpha1.App {
	return createApp(t, &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Annotations: annotations},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/cart:2.0.0", Release: &v1alpha1.Release{Stable: "cart-aaaaaaaaaa"}},
	}, v1alpha1.AppStatus{
		URL:                     "http://cart.sls-local.knapp.example.com",
		LatestReadyRevisionName: "cart-bbbbbbbbbb",
		StableRevision:          "cart-aaaaaaaaaa",
		Revisions: []v1alpha1.RevisionStatus{
			{Name: "cart-bbbbbbbbbb", Image: "registry.example.com/cart:2.0.0", Percent: ptr.To[int64](0)},
			{Name: "cart-aaaaaaaaaa", Image: "registry.example.com/cart:1.0.0", Percent: ptr.To[int64](100)},
		},
		Conditions: []metav1.Condition{cond(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady, "The App is ready.")},
	})
}

// describe and get show the App as its status has it, as the team's
// viewer may read it.
func TestDescribeAndGet(t *testing.T) {
	shopInRollout(t)
	out, err := knapp(viewer, "describe", "shop")
	if err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "describe-shop", out)
	out, err = knapp(viewer, "get", "shop")
	if err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "get-shop", out)
}

// route says which revision a request reaches and why, from the plan.
func TestRoute(t *testing.T) {
	shopInRollout(t)
	var all strings.Builder
	for _, args := range [][]string{
		{"route", "shop", "/", "-H", "x-canary:true"},
		{"route", "shop", "/beta/cart?x=1"},
		{"route", "shop", "/", "-H", "x-canary=false"},
	} {
		out, err := knapp(viewer, args...)
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(out)
	}
	assertGolden(t, "route-shop", all.String())
}

// canary, promote and rollback patch the spec as the team's editor, and
// say what changed.
func TestCanaryPromoteRollback(t *testing.T) {
	cart(t, nil)
	var all strings.Builder
	run := func(args ...string) {
		t.Helper()
		out, err := knapp(editor, args...)
		if err != nil {
			t.Fatalf("kubectl knapp %v: %v", args, err)
		}
		all.WriteString(out)
	}
	run("canary", "cart", "--revision", "cart-bbbbbbbbbb", "--percent", "20", "--header", "x-canary=true", "--path", "/beta/")
	c := read(t, "cart").Spec.Release.Canary
	if c == nil || c.Revision != "cart-bbbbbbbbbb" || c.Percent != 20 || len(c.Match) != 1 ||
		*c.Match[0].Headers["x-canary"].Exact != "true" || *c.Match[0].Path.Prefix != "/beta/" {
		t.Errorf("after canary, spec.release.canary is %+v", c)
	}
	// No knapp runs here, so Knative routes what it did: describe shows the
	// split asked for beside it.
	run("describe", "cart")
	// Promote takes the canary from the spec, and
	// rollback says the split it replaces was not routed yet.
	run("promote", "cart")
	if r := read(t, "cart").Spec.Release; r.Stable != "cart-bbbbbbbbbb" || r.Canary != nil {
		t.Errorf("after promote, spec.release is %+v", r)
	}
	run("rollback", "cart", "cart-aaaaaaaaaa")
	if r := read(t, "cart").Spec.Release; r.Stable != "cart-aaaaaaaaaa" || r.Canary != nil {
		t.Errorf("after rollback, spec.release is %+v", r)
	}
	assertGolden(t, "canary-promote-rollback-cart", all.String())
}

func TestPauseAndResume(t *testing.T) {
	shopInRollout(t)
	for _, paused := range []bool{true, false} {
		verb := map[bool]string{true: "pause", false: "resume"}[paused]
		out, err := knapp(editor, verb, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if got := read(t, "shop").Spec.Release.Progressive.Paused; got != paused || !strings.Contains(out, "progressive release") {
			t.Errorf("%s: paused is %v, printed %q", verb, got, out)
		}
	}
}

// Bad input and missing permissions: one line naming what is wrong and
// what is allowed, an error (exit code 1), and the App unchanged.
func TestBadInputChangesNothing(t *testing.T) {
	shopInRollout(t)
	cart(t, nil)
	argo := createApp(t, &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "synced", Annotations: map[string]string{"argocd.argoproj.io/tracking-id": "shop:knapp.dev/App:team-a/synced"}},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/synced:1"},
	}, v1alpha1.AppStatus{Revisions: []v1alpha1.RevisionStatus{{Name: "synced-aaaaaaaaaa"}}})
	tests := []struct {
		name, kubeconfig, app string
		args                  []string
		says                  []string
	}{
		{"unknown App", editor, "cart", []string{"describe", "nope"}, []string{`App "nope" not found in namespace team-a`}},
		{"unknown revision", editor, "cart", []string{"canary", "cart", "--revision", "cart-ffffffffff"}, []string{`revision "cart-ffffffffff" is not one of App cart's`, "cart-aaaaaaaaaa", "or latest"}},
		{"an unknown stable", editor, "cart", []string{"canary", "cart", "--revision", "latest", "--stable", "cart-ffffffffff"}, []string{`--stable "cart-ffffffffff": must be one of App cart's revisions`}},
		{"promote without a canary", editor, "cart", []string{"promote", "cart"}, []string{"App cart has no canary to promote"}},
		{"percent above 100", editor, "cart", []string{"canary", "cart", "--revision", "latest", "--percent", "101"}, []string{"--percent 101: must be between 0 and 100"}},
		{"a header without : or =", editor, "cart", []string{"canary", "cart", "--revision", "latest", "--header", "x-canary"}, []string{`--header "x-canary": want name:value or name=value`}},
		{"a path without /", editor, "cart", []string{"canary", "cart", "--revision", "latest", "--path", "beta"}, []string{`--path "beta": must start with /`}},
		{"a route header without : or =", viewer, "shop", []string{"route", "shop", "/", "-H", "x-canary"}, []string{`header "x-canary": want name:value or name=value`}},
		{"no permission to patch", viewer, "cart", []string{"rollback", "cart", "cart-aaaaaaaaaa"}, []string{"you may not patch Apps in namespace team-a"}},
		{"pause without a progressive release", editor, "cart", []string{"pause", "cart"}, []string{"has no progressive release"}},
		{"an App Argo CD manages", editor, "synced", []string{"canary", "synced", "--revision", "latest"}, []string{"managed by Argo CD", "argocd.argoproj.io/tracking-id", "git repository", "--force"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := read(t, tc.app).ResourceVersion
			out, err := knapp(tc.kubeconfig, tc.args...)
			if err == nil {
				t.Fatalf("kubectl knapp %v succeeded: %s", tc.args, out)
			}
			msg := err.Error()
			for _, w := range tc.says {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is more than one line: %q", msg)
			}
			if after := read(t, tc.app).ResourceVersion; after != before {
				t.Errorf("the App changed (resourceVersion %s -> %s)", before, after)
			}
		})
	}
	// --force patches an App Argo CD manages.
	if _, err := knapp(editor, "canary", "synced", "--revision", "latest", "--force"); err != nil {
		t.Errorf("--force: %v", err)
	}
	if c := read(t, argo.Name).Spec.Release; c == nil || c.Canary == nil || c.Canary.Revision != v1alpha1.CanaryLatest {
		t.Errorf("--force did not patch: %+v", c)
	}
}

// The README shows describe's and route's output as these tests print it.
func TestREADMEShowsTheseOutputs(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"describe-shop", "route-shop"} {
		golden, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```\n"+string(golden)+"```") {
			t.Errorf("README.md does not show testdata/%s.txt as a block of its own", name)
		}
	}
}

// build patches spec.build.git.revision, which starts knapp's build of it.
func TestBuild(t *testing.T) {
	createApp(t, &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: v1alpha1.AppSpec{Build: &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: "https://git.example.com/team-a/api.git", Revision: "main"},
			ImageRepository: "registry.example.com/team-a/api",
		}},
	}, v1alpha1.AppStatus{})
	out, err := knapp(editor, "build", "api", "--revision", "v1.4.3")
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, "api").Spec.Build.Git.Revision; got != "v1.4.3" || out != "app.knapp.dev/api patched: builds api from v1.4.3 (was main)\n" {
		t.Errorf("revision %s, printed %q", got, out)
	}
	cart(t, nil)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"build", "api"}, "--revision: name a branch, tag or commit"},
		{[]string{"build", "cart", "--revision", "main"}, "App cart has no spec.build"},
		{[]string{"build", "api", "--revision", "v1.4.3"}, "App api already builds v1.4.3 (spec.build.git.revision), and knapp builds the same inputs once"},
	} {
		before := read(t, tc.args[1]).ResourceVersion
		if _, err := knapp(editor, tc.args...); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("kubectl knapp %v: %v, want an error saying %q", tc.args, err, tc.says)
		}
		if after := read(t, tc.args[1]).ResourceVersion; after != before {
			t.Errorf("kubectl knapp %v changed the App (resourceVersion %s -> %s)", tc.args, before, after)
		}
	}
}
