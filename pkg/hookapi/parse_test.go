package hookapi

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"knapp.dev/knapp/api/v1alpha1"
)

func TestParseGitHubPush(t *testing.T) {
	got, err := ParseGitHubPush(fixture(t, "github-push.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Push{
		Ref:    "refs/heads/main",
		Commit: githubCommit,
		RepoURLs: []string{
			"https://github.com/knapp-demo/shop.git",
			"git@github.com:knapp-demo/shop.git",
			"https://github.com/knapp-demo/shop",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got.Branch() != "main" {
		t.Errorf("Branch() = %q", got.Branch())
	}

	del, err := ParseGitHubPush(fixture(t, "github-delete.json"))
	if err != nil || !del.Deleted || del.Commit != "" {
		t.Errorf("deletion: %+v, %v", del, err)
	}

	for name, payload := range map[string]string{
		"malformed":    `{"ref":`,
		"not object":   `[]`,
		"no ref":       `{"after":"` + githubCommit + `","repository":{"clone_url":"https://github.com/a/b.git"}}`,
		"no commit":    `{"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/a/b.git"}}`,
		"short commit": `{"ref":"refs/heads/main","after":"0d1a26e","repository":{"clone_url":"https://github.com/a/b.git"}}`,
		"no hex":       `{"ref":"refs/heads/main","after":"` + strings.Repeat("g", 40) + `","repository":{"clone_url":"https://github.com/a/b.git"}}`,
		"no repo":      `{"ref":"refs/heads/main","after":"` + githubCommit + `"}`,
	} {
		if _, err := ParseGitHubPush([]byte(payload)); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: err = %v, want ErrBadPayload", name, err)
		}
	}

	upper, err := ParseGitHubPush([]byte(`{"ref":"refs/heads/main","after":"` + strings.ToUpper(githubCommit) + `","repository":{"clone_url":"https://github.com/a/b.git"}}`))
	if err != nil || upper.Commit != githubCommit {
		t.Errorf("upper-case commit: %+v, %v", upper, err)
	}
}

func TestGitHubPayload(t *testing.T) {
	js := []byte(`{"ref":"refs/heads/main"}`)
	for _, ct := range []string{"application/json", "", "application/json; charset=utf-8"} {
		if got, err := GitHubPayload(ct, js); err != nil || string(got) != string(js) {
			t.Errorf("%q: %s, %v", ct, got, err)
		}
	}
	form := url.Values{"payload": {string(js)}}.Encode()
	if got, err := GitHubPayload("application/x-www-form-urlencoded", []byte(form)); err != nil || string(got) != string(js) {
		t.Errorf("form: %s, %v", got, err)
	}
	if _, err := GitHubPayload("application/x-www-form-urlencoded", []byte("other=1")); !errors.Is(err, ErrBadPayload) {
		t.Errorf("form without payload: %v", err)
	}
}

func TestParseGitLabPush(t *testing.T) {
	got, err := ParseGitLabPush(fixture(t, "gitlab-push.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Push{
		Ref:    "refs/heads/main",
		Commit: gitlabCommit,
		RepoURLs: []string{
			"https://gitlab.example.com/team-a/shop.git",
			"git@gitlab.example.com:team-a/shop.git",
			"https://gitlab.example.com/team-a/shop",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}

	del, err := ParseGitLabPush(fixture(t, "gitlab-delete.json"))
	if err != nil || !del.Deleted || del.Commit != "" {
		t.Errorf("deletion: %+v, %v", del, err)
	}

	after, err := ParseGitLabPush([]byte(`{"object_kind":"push","ref":"refs/heads/main","after":"` + gitlabCommit + `","checkout_sha":null,"project":{"git_http_url":"https://gitlab.example.com/a/b.git"}}`))
	if err != nil || after.Commit != gitlabCommit {
		t.Errorf("fall back to after: %+v, %v", after, err)
	}

	if _, err := ParseGitLabPush([]byte(`{"object_kind":"tag_push","ref":"refs/tags/v1"}`)); !errors.Is(err, ErrUnsupportedEvent) {
		t.Errorf("tag_push: %v", err)
	}
	if _, err := ParseGitLabPush([]byte(`{"object_kind":`)); !errors.Is(err, ErrBadPayload) {
		t.Errorf("malformed: %v", err)
	}
}

func TestParsePlain(t *testing.T) {
	ok := map[string]string{
		``:                                    "",
		"  \n":                                "",
		`{}`:                                  "",
		`{"revision": ""}`:                    "",
		`{"revision": "main"}`:                "main",
		`{"revision": " feature/x "}`:         "feature/x",
		`{"revision": "v1.4.2"}`:              "v1.4.2",
		`{"revision": "` + plainCommit + `"}`: plainCommit,
	}
	for body, want := range ok {
		got, err := ParsePlain([]byte(body))
		if err != nil || got.Revision != want {
			t.Errorf("ParsePlain(%q) = %+v, %v; want %q", body, got, err, want)
		}
	}
	for _, body := range []string{
		`{"revision": 1}`,
		`{"rev": "main"}`,
		`{"revision": "main"} {}`,
		`[]`,
		`revision=main`,
		`{"revision": "-main"}`,
		`{"revision": "a..b"}`,
		`{"revision": "a b"}`,
		`{"revision": "main~1"}`,
		`{"revision": "main^"}`,
		`{"revision": "x.lock"}`,
		`{"revision": "feature/"}`,
		`{"revision": "a:b"}`,
		`{"revision": "{{=sprig.repeat(99,'a')}}"}`,
		`{"revision": "main{{workflow.name}}"}`,
		`{"revision": "` + strings.Repeat("a", 256) + `"}`,
	} {
		if got, err := ParsePlain([]byte(body)); !errors.Is(err, ErrBadPayload) {
			t.Errorf("ParsePlain(%q) = %+v, %v; want ErrBadPayload", body, got, err)
		}
	}
}

func TestIgnoreReason(t *testing.T) {
	app := hookApp("shop", githubRepoURL, "shop-hook")
	withRevision := hookApp("shop", githubRepoURL, "shop-hook")
	withRevision.Spec.Build.Git.Revision = "develop"
	withBranch := hookApp("shop", githubRepoURL, "shop-hook")
	withBranch.Spec.Build.Git.Revision = "develop"
	withBranch.Spec.Build.Hook.Branch = "refs/heads/release"

	tests := []struct {
		name   string
		push   Push
		app    *v1alpha1.App
		ignore string // part of the reason; "" to build
	}{
		{"main to default", Push{Ref: "refs/heads/main"}, app, ""},
		{"other branch", Push{Ref: "refs/heads/dev"}, app, `builds start only for pushes to "main" (the default)`},
		{"tag", Push{Ref: "refs/tags/main"}, app, "is not a branch"},
		{"deleted", Push{Ref: "refs/heads/main", Deleted: true}, app, "was deleted"},
		{"revision as branch", Push{Ref: "refs/heads/develop"}, withRevision, ""},
		{"main when revision is develop", Push{Ref: "refs/heads/main"}, withRevision, "(spec.build.git.revision)"},
		{"hook branch over revision", Push{Ref: "refs/heads/release"}, withBranch, ""},
		{"revision when hook branch is set", Push{Ref: "refs/heads/develop"}, withBranch, `"release" (spec.build.hook.branch)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := IgnoreReason(tt.app, tt.push)
			if (tt.ignore == "") != (got == "") || !strings.Contains(got, tt.ignore) {
				t.Errorf("IgnoreReason = %q, want %q", got, tt.ignore)
			}
		})
	}
}
