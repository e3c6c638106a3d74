package failure

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

// TestWebhookServerStopped installs knapp's webhook configurations from
// config/webhook (only for this test: with failurePolicy Fail they would
// refuse every App of the other tests while their knapp is killed) and
// checks what README.md and those files promise while knapp's webhook
// server is gone, then hung, and that admission works again once it is back.
func TestWebhookServerStopped(t *testing.T) {
	ctx := context.Background()
	remove, err := env.InstallWebhookConfigs(ctx,
		filepath.Join(root, "config", "webhook", "podlogs.yaml"),
		filepath.Join(root, "config", "webhook", "appvalidation.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := remove(context.Background()); err != nil {
			t.Errorf("removing knapp's webhook configurations: %v", err)
		}
	})
	ns := newNamespace(t)
	k := startWebhookKnapp(t, "knapp")
	webhooksInForce(t, ns)

	web := newApp(ns, "web", image(ns, "web", 1))
	web.Spec.Logs = &v1alpha1.Logs{Path: "/var/log/app"}
	create(t, web)
	create(t, newApp(ns, "gone", image(ns, "gone", 1)))
	waitForInjectedPod(t, ns, "web")

	t.Run("stopped", func(t *testing.T) {
		k.Stop()
		expectStoppedAdmission(t, ns, true)
	})

	k = startWebhookKnapp(t, "knapp-restarted")
	waitForInjectedPod(t, ns, "web")
	if err := setImage(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, image(ns, "web", 3)); err != nil {
		t.Fatalf("App update after knapp came back: %v", err)
	}

	t.Run("hung", func(t *testing.T) {
		// SIGSTOP: the port still accepts connections, nothing answers, so
		// each webhook's timeoutSeconds decides.
		if err := k.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = k.Cmd.Process.Signal(syscall.SIGCONT) }()
		// Each App write waits the App webhooks' 5 s: one is enough.
		expectStoppedAdmission(t, ns, false)
	})
	waitForInjectedPod(t, ns, "web")
}

// startWebhookKnapp starts a knapp serving its webhooks where the control
// plane's webhook server passes them on to, and waits until it serves.
func startWebhookKnapp(t *testing.T, name string) *knapp {
	t.Helper()
	k := startKnapp(t, name, webhooks.Args()...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := webhooks.WaitUntilServing(ctx, k.Process, time.Minute); err != nil {
		t.Fatal(err)
	}
	return k
}

// webhooksInForce waits until the apiserver calls knapp's App validation
// and defaulting (it picks up new webhook configurations within a moment,
// each kind on its own).
func webhooksInForce(t *testing.T, ns string) {
	t.Helper()
	eventually(t, time.Minute, "knapp's App webhooks in force", func(ctx context.Context) error {
		bad := newApp(ns, "bad", image(ns, "bad", 1))
		bad.Spec.Release = &v1alpha1.Release{Stable: "other-0000000000"}
		err := k8s.Create(ctx, bad, client.DryRunAll)
		switch {
		case err == nil:
			return errors.New("an App whose release names another App's revision was admitted")
		case !strings.Contains(err.Error(), "validation.apps.knapp.dev"):
			return fmt.Errorf("refused, but not by knapp's webhook: %w", err)
		}
		// A build without git.revision shows the defaulting.
		probe := withBuild(newApp(ns, "probe", image(ns, "probe", 1)))
		probe.Spec.Build.Git.Revision = ""
		if err := k8s.Create(ctx, probe, client.DryRunAll); err != nil {
			return err
		}
		if got := probe.Spec.Build.Git.Revision; got != "main" {
			return fmt.Errorf("not defaulted: git.revision %q", got)
		}
		return nil
	})
}

// expectStoppedAdmission checks admission while knapp's webhook server does
// not answer: the documented failurePolicy Fail refuses a pod labelled
// for logs and an App create (with all, any App update too), naming the
// webhook; every other pod, knapp's own status writes and App deletes are
// admitted.
func expectStoppedAdmission(t *testing.T, ns string, all bool) {
	const podWebhook, appWebhook = "podlogs.knapp.dev", "defaulting.apps.knapp.dev"
	ctx := context.Background()
	refused := func(what, webhook string, err error, took time.Duration) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: admitted", what)
			return
		}
		if !strings.Contains(err.Error(), webhook) {
			t.Errorf("%s: refused, but the error does not name %s: %v", what, webhook, err)
		}
		t.Logf("%s: refused in %s: %v", what, took.Round(10*time.Millisecond), err)
	}
	admitted := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: refused: %v", what, err)
		}
	}
	timed := func(f func() error) (error, time.Duration) {
		start := time.Now()
		err := f()
		return err, time.Since(start)
	}

	err, took := timed(func() error { return k8s.Create(ctx, logsPod(ns, "web", true)) })
	refused("pod labelled knapp.dev/logs=true", podWebhook, err, took)
	admitted("pod without the logs label", k8s.Create(ctx, logsPod(ns, "web", false)))
	admitted("pod labelled for logs in knapp-system", k8s.Create(ctx, logsPod("knapp-system", "web", true)))
	admitted("App status update (knapp's own writes)", k8s.Status().Patch(ctx, &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}},
		client.RawPatch("application/merge-patch+json", []byte(`{"status":{"url":"http://web.example.com"}}`))))

	err, took = timed(func() error { return k8s.Create(ctx, newApp(ns, "new", image(ns, "new", 1))) })
	refused("App create", appWebhook, err, took)
	if !all {
		return
	}
	err, took = timed(func() error { return setImage(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, image(ns, "web", 2)) })
	refused("App spec update", appWebhook, err, took)
	err, took = timed(func() error { return patchApp(ctx, ns, "web", `{"metadata":{"labels":{"team":"a"}}}`) })
	refused("App label update", appWebhook, err, took)
	admitted("App delete", k8s.Delete(ctx, &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gone"}}))
}

func patchApp(ctx context.Context, ns, name, patch string) error {
	return k8s.Patch(ctx, &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		client.RawPatch("application/merge-patch+json", []byte(patch)))
}

// logsPod is a pod of App app as its revision's ReplicaSet would create
// it, labelled for logs or not.
func logsPod(ns, app string, logs bool) *corev1.Pod {
	labels := map[string]string{v1alpha1.LabelApp: app}
	if logs {
		labels[v1alpha1.LabelLogs] = "true"
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: app + "-", Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "user-container", Image: "registry.example.com/" + ns + "/" + app + ":1.0.0",
		}}},
	}
}

// waitForInjectedPod creates pods labelled for logs until one is admitted
// with its log volume (the webhook finds the App in knapp's cache, which
// may lag behind a new App or a restarted knapp).
func waitForInjectedPod(t *testing.T, ns, app string) {
	t.Helper()
	want := "/var/log/knapp/" + ns + "/" + app
	eventually(t, time.Minute, "a pod admitted with its log volume", func(ctx context.Context) error {
		pod := logsPod(ns, app, true)
		if err := k8s.Create(ctx, pod); err != nil {
			return err
		}
		for _, v := range pod.Spec.Volumes {
			if v.HostPath != nil && v.HostPath.Path == want {
				return nil
			}
		}
		return fmt.Errorf("pod %s admitted without the volume %s: %+v", pod.Name, want, pod.Spec.Volumes)
	})
}
