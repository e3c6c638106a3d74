package integration

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/pkg/hookapi"
)

const pushedCommit = "4f2c1e9a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e"

func githubPush(t *testing.T, ref, commit string) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"ref":        ref,
		"after":      commit,
		"deleted":    false,
		"repository": map[string]any{"clone_url": "https://git.example.com/team-a/shop.git"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// postHook sends a GitHub push to the hook API and returns the status and
// the JSON answer.
func postHook(t *testing.T, url string, body []byte, signature string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	req.Header.Set("X-Hub-Signature-256", signature)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, answer
}

// The hook API, over real HTTP against the real apiserver: a signed GitHub
// push starts one build of the pushed commit, which supersedes the running
// one; a replayed delivery starts nothing; a wrong signature, an unknown
// App and another branch are refused or ignored.
func TestHookStartsABuildOfThePushedCommit(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop-hook"}, Data: map[string][]byte{"token": []byte("s3cret")}}
	create(t, secret)
	a := newApp(ns, "shop", withBuild("main"), func(x *v1alpha1.App) {
		x.Spec.Build.Hook = &v1alpha1.BuildHook{SecretName: "shop-hook"}
	})
	create(t, a)
	specBuild := waitForBuilds(t, a, 1)[0]

	server := httptest.NewServer(hookapi.NewHandler(app.NewHookBuilds(reconciler), hookapi.Options{}))
	defer server.Close()
	url := fmt.Sprintf("%s/hooks/v1/namespaces/%s/apps/shop/builds", server.URL, ns)

	body := githubPush(t, "refs/heads/main", pushedCommit)
	status, answer := postHook(t, url, body, sign("s3cret", body))
	if status != http.StatusAccepted {
		t.Fatalf("push: %d %v", status, answer)
	}
	name, _ := answer["workflow"].(string)
	builds := waitForBuilds(t, a, 2)
	hookBuild := otherBuild(builds, specBuild.Name)
	if hookBuild.Name != name || hookBuild.Labels[v1alpha1.LabelBuildTrigger] != "hook" || hookBuild.Annotations[v1alpha1.AnnotationBuildRevision] != pushedCommit {
		t.Errorf("hook build %s (answer %q): labels %v annotations %v", hookBuild.Name, name, hookBuild.Labels, hookBuild.Annotations)
	}
	superseded := &wfv1.Workflow{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(&specBuild), superseded); err != nil || superseded.Spec.Shutdown != wfv1.ShutdownStrategyTerminate {
		t.Errorf("the running spec build was not stopped: shutdown %q (err %v)", superseded.Spec.Shutdown, err)
	}

	if status, answer := postHook(t, url, body, sign("s3cret", body)); status != http.StatusConflict || answer["workflow"] != name {
		t.Errorf("replayed delivery: %d %v, want 409 naming %s", status, answer, name)
	}
	status, wrongAnswer := postHook(t, url, body, sign("wrong", body))
	if status != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d, want 401", status)
	}
	other := githubPush(t, "refs/heads/feature", "0123456789abcdef0123456789abcdef01234567")
	if status, answer := postHook(t, url, other, sign("s3cret", other)); status != http.StatusOK || answer["status"] != "ignored" {
		t.Errorf("another branch: %d %v, want 200 ignored", status, answer)
	}
	unknown := fmt.Sprintf("%s/hooks/v1/namespaces/%s/apps/nope/builds", server.URL, ns)
	// The same answer as a wrong signature: a caller without the token
	// cannot tell which Apps exist.
	if status, answer := postHook(t, unknown, body, sign("s3cret", body)); status != http.StatusUnauthorized || answer["error"] != wrongAnswer["error"] {
		t.Errorf("unknown App: %d %v, want 401 %v as for a wrong signature", status, answer, wrongAnswer)
	}
	if n := len(buildsOf(t, a)); n != 2 {
		t.Errorf("%d builds after the refused and ignored calls, want 2", n)
	}

	got := waitForApp(t, client.ObjectKeyFromObject(a), func(x *v1alpha1.App) error {
		if x.Status.Build == nil || len(x.Status.Build.Builds) != 2 || x.Status.Build.Builds[0].Workflow != name {
			return fmt.Errorf("status.build = %+v", x.Status.Build)
		}
		return nil
	})
	if got.Status.Build.Builds[0].Trigger != "hook" || got.Status.Build.Builds[0].Revision != pushedCommit {
		t.Errorf("newest build record %+v", got.Status.Build.Builds[0])
	}
}

// The hook API answers a missing Secret with the same 401 as a wrong
// token, so the App's status is where its owner learns of it: HookReady
// names the Secret and its key until the Secret exists, then says where to
// call.
func TestHookReadyNamesAMissingSecret(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	a := newApp(ns, "shop", withBuild("main"), func(x *v1alpha1.App) {
		x.Spec.Build.Hook = &v1alpha1.BuildHook{SecretName: "shop-hook"}
	})
	create(t, a)
	key := client.ObjectKeyFromObject(a)
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionHookReady, metav1.ConditionFalse, v1alpha1.ReasonSecretNotFound))
	if msg := got.Status.GetCondition(v1alpha1.ConditionHookReady).Message; !contains(msg, "spec.build.hook.secretName", ns+"/shop-hook", `"token"`, "401") {
		t.Errorf("message %q", msg)
	}
	if err := conditionIs(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonSecretNotFound)(got); err != nil {
		t.Error(err)
	}

	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop-hook"}, Data: map[string][]byte{"token": []byte("s3cret")}})
	got = waitForApp(t, key, conditionIs(v1alpha1.ConditionHookReady, metav1.ConditionTrue, v1alpha1.ReasonReady))
	if msg := got.Status.GetCondition(v1alpha1.ConditionHookReady).Message; !contains(msg, hookapi.PathOf(ns, "shop")) {
		t.Errorf("message %q", msg)
	}

	updateApp(t, key, func(x *v1alpha1.App) { x.Spec.Build.Hook = nil })
	waitForApp(t, key, func(x *v1alpha1.App) error {
		if c := x.Status.GetCondition(v1alpha1.ConditionHookReady); c != nil {
			return fmt.Errorf("HookReady still reported: %+v", c)
		}
		return nil
	})
}
