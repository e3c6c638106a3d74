package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app"
	"knapp.dev/knapp/pkg/resources"
	"knapp.dev/knapp/test/testenv"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

const (
	digestA = "sha256:" + "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	digestB = "sha256:" + "0f9e8d7c6b5a49382716f5e4d3c2b1a00f9e8d7c6b5a49382716f5e4d3c2b1a0"
)

// installBuildTemplate creates the platform's default ClusterWorkflowTemplate
// from config/build, once: Argo's real CRD must accept it.
func installBuildTemplate(t *testing.T) {
	t.Helper()
	if err := k8s.Create(context.Background(), readBuildTemplate(t)); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("the apiserver refused the build template: %v", err)
	}
}

// readBuildTemplate is config/build/knapp-build.yaml, strictly decoded.
func readBuildTemplate(t *testing.T) *wfv1.ClusterWorkflowTemplate {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config", "build", "knapp-build.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &wfv1.ClusterWorkflowTemplate{}
	if err := yaml.UnmarshalStrict(data, tmpl); err != nil {
		t.Fatalf("config/build/knapp-build.yaml: %v", err)
	}
	return tmpl
}

func withBuild(revision string) func(*v1alpha1.App) {
	return func(a *v1alpha1.App) {
		a.Spec.Image = ""
		a.Spec.Build = &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: "https://git.example.com/team-a/shop.git", Revision: revision},
			ImageRepository: "registry.example.com/team-a/shop",
		}
	}
}

// buildsOf lists the App's build Workflows.
func buildsOf(t *testing.T, a *v1alpha1.App) []wfv1.Workflow {
	t.Helper()
	list := &wfv1.WorkflowList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(a.Namespace), client.MatchingLabels{v1alpha1.LabelApp: a.Name}); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitForBuilds waits until the App has n build Workflows and returns them.
func waitForBuilds(t *testing.T, a *v1alpha1.App, n int) []wfv1.Workflow {
	t.Helper()
	var got []wfv1.Workflow
	eventually(t, fmt.Sprintf("%d build(s) of %s", n, a.Name), func(context.Context) error {
		got = buildsOf(t, a)
		if len(got) != n {
			return fmt.Errorf("%d builds", len(got))
		}
		return nil
	})
	return got
}

// finishBuild sets a Workflow's status as Argo's controller would.
func finishBuild(t *testing.T, name, ns string, phase wfv1.WorkflowPhase, digest, message string) {
	t.Helper()
	eventually(t, "finishing build "+name, func(ctx context.Context) error {
		wf := &wfv1.Workflow{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, wf); err != nil {
			return err
		}
		wf.Status.Phase = phase
		wf.Status.Message = message
		wf.Status.StartedAt = metav1.Now()
		wf.Status.FinishedAt = metav1.Now()
		if digest != "" {
			value := wfv1.AnyStringPtr(digest)
			wf.Status.Outputs = &wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: "image-digest", Value: value, GlobalName: "image-digest"}}}
		}
		return k8s.Update(ctx, wf)
	})
}

// A build from spec: one Workflow, owned by the App, from the platform's
// template; its success rolls the Service to the digest; a failed build
// leaves the running image alone; a restarted knapp starts nothing twice.
func TestBuildFromSpecDeploysTheDigest(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	a := newApp(ns, "shop", withBuild("main"))
	create(t, a)
	key := client.ObjectKeyFromObject(a)

	builds := waitForBuilds(t, a, 1)
	wf := builds[0]
	if !metav1.IsControlledBy(&wf, a) || wf.Labels["knapp.dev/build-trigger"] != "spec" || wf.Spec.WorkflowTemplateRef == nil || wf.Spec.WorkflowTemplateRef.Name != "knapp-build" {
		t.Errorf("build Workflow %s: owner %v labels %v template %+v", wf.Name, wf.OwnerReferences, wf.Labels, wf.Spec.WorkflowTemplateRef)
	}
	waitForApp(t, key, conditionIs(v1alpha1.ConditionServiceReady, metav1.ConditionUnknown, "WaitingForBuild"))

	// A knapp that restarts mid-build (a new reconciler, nothing in memory)
	// starts no second build.
	fresh := &app.Reconciler{Client: reconciler.Client, APIReader: reconciler.APIReader, Recorder: reconciler.Recorder, Platform: reconciler.Platform}
	for range 2 {
		if _, err := fresh.Reconcile(context.Background(), reconcile.Request{NamespacedName: key}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(buildsOf(t, a)); n != 1 {
		t.Fatalf("a restarted knapp made %d builds of one revision", n)
	}

	finishBuild(t, wf.Name, ns, wfv1.WorkflowSucceeded, digestA, "")
	image := "registry.example.com/team-a/shop@" + digestA
	waitForService(t, key, func(s *servingv1.Service) error {
		if got := s.Spec.Template.Spec.Containers[0].Image; got != image {
			return fmt.Errorf("image %q", got)
		}
		return nil
	})
	got := waitForApp(t, key, conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionTrue, "Succeeded"))
	if got.Status.Build == nil || got.Status.Build.Image != image || len(got.Status.Build.Builds) != 1 || got.Status.Build.Builds[0].Digest != digestA {
		t.Errorf("status.build = %+v", got.Status.Build)
	}

	// A new revision builds once more; its failure keeps the image running.
	updateApp(t, key, func(x *v1alpha1.App) { x.Spec.Build.Git.Revision = "release-2" })
	builds = waitForBuilds(t, a, 2)
	second := otherBuild(builds, wf.Name)
	finishBuild(t, second.Name, ns, wfv1.WorkflowFailed, "", "child 'build' failed: exit code 1")
	got = waitForApp(t, key, conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionFalse, "BuildFailed"))
	if msg := got.Status.GetCondition(v1alpha1.ConditionBuildSucceeded).Message; !contains(msg, second.Name, "exit code 1") {
		t.Errorf("message %q should carry Argo's", msg)
	}
	s := &servingv1.Service{}
	if err := k8s.Get(context.Background(), key, s); err != nil || s.Spec.Template.Spec.Containers[0].Image != image {
		t.Errorf("a failed build changed the running image: %v %v", err, s.Spec.Template.Spec.Containers)
	}
}

// A build whose digest output is not a digest deploys nothing.
func TestBuildWithInvalidDigestDeploysNothing(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	a := newApp(ns, "shop", withBuild("main"))
	create(t, a)
	wf := waitForBuilds(t, a, 1)[0]
	finishBuild(t, wf.Name, ns, wfv1.WorkflowSucceeded, "sha256:not-a-digest", "")
	got := waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionFalse, "InvalidDigest"))
	if msg := got.Status.GetCondition(v1alpha1.ConditionBuildSucceeded).Message; !contains(msg, "image-digest") {
		t.Errorf("message %q should name the output", msg)
	}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(a), &servingv1.Service{}); !apierrors.IsNotFound(err) {
		t.Errorf("a Knative Service was made from an invalid digest (err %v)", err)
	}
}

// What a build needs and does not have is reported, and no build starts.
func TestBuildPrerequisitesAreReported(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	sshKey := map[string][]byte{"ssh-privatekey": []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nKEY\n")}
	tests := []struct {
		name       string
		objects    func(ns string) []client.Object
		edit       func(*v1alpha1.App)
		wantReason string
		wantText   []string
	}{
		{"template does not exist", nil, func(a *v1alpha1.App) {
			a.Spec.Build.TemplateRef = &v1alpha1.TemplateRef{Name: "no-such-template"}
		}, "TemplateNotFound", []string{"WorkflowTemplate", "no-such-template"}},
		{"registry secret does not exist", nil, func(a *v1alpha1.App) {
			a.Spec.Build.RegistrySecretName = "no-such-secret"
		}, "SecretNotFound", []string{"spec.build.registrySecretName", "no-such-secret"}},
		{"malformed git url", nil, func(a *v1alpha1.App) {
			a.Spec.Build.Git.URL = "git.example.com shop"
		}, v1alpha1.ReasonInvalidSpec, []string{"spec.build.git.url"}},
		{"git secret does not exist", nil, func(a *v1alpha1.App) {
			a.Spec.Build.Git.SecretName = "no-such-key"
		}, v1alpha1.ReasonSecretNotFound, []string{"spec.build.git.secretName", "no-such-key"}},
		{"ssh key without known_hosts", func(ns string) []client.Object {
			return []client.Object{gitSecret(ns, "deploy-key", corev1.SecretTypeSSHAuth, sshKey)}
		}, func(a *v1alpha1.App) {
			a.Spec.Build.Git = v1alpha1.GitSource{URL: "git@git.example.com:team-a/shop.git", SecretName: "deploy-key"}
		}, v1alpha1.ReasonGitSecretInvalid, []string{"spec.build.git.secretName", "deploy-key", "no key known_hosts"}},
		{"token for an ssh URL", func(ns string) []client.Object {
			return []client.Object{gitSecret(ns, "git-token", corev1.SecretTypeBasicAuth, map[string][]byte{"username": []byte("ci"), "password": []byte("t")})}
		}, func(a *v1alpha1.App) {
			a.Spec.Build.Git = v1alpha1.GitSource{URL: "ssh://git@git.example.com/team-a/shop.git", SecretName: "git-token"}
		}, v1alpha1.ReasonGitSecretInvalid, []string{"git-token", "kubernetes.io/ssh-auth"}},
		{"template without build-args", func(ns string) []client.Object {
			return []client.Object{templateWithout(t, ns, "old-build", resources.BuildParamBuildArgs)}
		}, func(a *v1alpha1.App) {
			a.Spec.Build.TemplateRef = &v1alpha1.TemplateRef{Name: "old-build"}
			a.Spec.Build.BuildArgs = []v1alpha1.BuildArg{{Name: "GO_VERSION", Value: "1.26"}}
		}, v1alpha1.ReasonTemplateIncompatible, []string{"old-build", "build-args from spec.build.buildArgs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := newNamespace(t, nil)
			if tc.objects != nil {
				for _, obj := range tc.objects(ns) {
					create(t, obj)
				}
			}
			a := newApp(ns, "shop", withBuild("main"), tc.edit)
			create(t, a)
			got := waitForApp(t, client.ObjectKeyFromObject(a), conditionIs(v1alpha1.ConditionBuildSucceeded, metav1.ConditionFalse, tc.wantReason))
			if msg := got.Status.GetCondition(v1alpha1.ConditionBuildSucceeded).Message; !contains(msg, tc.wantText...) {
				t.Errorf("message %q should contain %q", msg, tc.wantText)
			}
			if n := len(buildsOf(t, a)); n != 0 {
				t.Errorf("%d builds started", n)
			}
		})
	}
}

// otherBuild is the build that is not named name.
func otherBuild(builds []wfv1.Workflow, name string) wfv1.Workflow {
	for _, wf := range builds {
		if wf.Name != name {
			return wf
		}
	}
	return wfv1.Workflow{}
}

func gitSecret(ns, name string, typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: typ, Data: data}
}

// templateWithout is the platform's template as a WorkflowTemplate in ns,
// without the parameter param (a template from before it).
func templateWithout(t *testing.T, ns, name, param string) *wfv1.WorkflowTemplate {
	t.Helper()
	cwft := readBuildTemplate(t)
	tmpl := &wfv1.WorkflowTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: cwft.Spec}
	params := tmpl.Spec.Arguments.Parameters[:0:0]
	for _, p := range tmpl.Spec.Arguments.Parameters {
		if p.Name != param {
			params = append(params, p)
		}
	}
	tmpl.Spec.Arguments.Parameters = params
	return tmpl
}

// A private repository: the build starts once its Secret holds what the URL
// needs, and the Workflow names the Secret, never its keys.
func TestBuildFromPrivateRepository(t *testing.T) {
	t.Parallel()
	installBuildTemplate(t)
	ns := newNamespace(t, nil)
	const key, hosts = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE-private\n", "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost"
	create(t, gitSecret(ns, "deploy-key", corev1.SecretTypeSSHAuth, map[string][]byte{"ssh-privatekey": []byte(key), "known_hosts": []byte(hosts)}))
	a := newApp(ns, "shop", withBuild("main"), func(a *v1alpha1.App) {
		a.Spec.Build.Git = v1alpha1.GitSource{URL: "git@git.example.com:team-a/shop.git", SecretName: "deploy-key"}
		a.Spec.Build.BuildArgs = []v1alpha1.BuildArg{{Name: "GO_VERSION", Value: "1.26"}}
		a.Spec.Build.CacheRepository = "registry.example.com/team-a/shop-cache"
		a.Spec.Build.Timeout = &metav1.Duration{Duration: 20 * time.Minute}
	})
	create(t, a)
	wf := waitForBuilds(t, a, 1)[0]
	for name, want := range map[string]string{
		resources.BuildParamGitSecret:       "deploy-key",
		resources.BuildParamBuildArgs:       "GO_VERSION=1.26",
		resources.BuildParamCacheRepository: "registry.example.com/team-a/shop-cache",
	} {
		if p := wf.Spec.Arguments.GetParameterByName(name); p == nil || p.Value.String() != want {
			t.Errorf("parameter %s = %v, want %q", name, p, want)
		}
	}
	if d := wf.Spec.ActiveDeadlineSeconds; d == nil || *d != 1200 {
		t.Errorf("activeDeadlineSeconds = %v, want 1200", d)
	}
	raw, err := json.Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "b3BlbnNzaC1rZXktdjE") || strings.Contains(string(raw), "AAAAIhost") {
		t.Errorf("the Workflow carries the Secret's keys: %s", raw)
	}
}
