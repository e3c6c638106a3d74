package buildsteps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

var buildTemplatePath = filepath.Join("..", "..", "config", "build", "knapp-build.yaml")

// buildTemplate is the platform's template, strictly decoded.
func buildTemplate(t *testing.T) *wfv1.ClusterWorkflowTemplate {
	t.Helper()
	data, err := os.ReadFile(buildTemplatePath)
	if err != nil {
		t.Fatal(err)
	}
	cwft := &wfv1.ClusterWorkflowTemplate{}
	if err := yaml.UnmarshalStrict(data, cwft); err != nil {
		t.Fatalf("%s: %v", buildTemplatePath, err)
	}
	return cwft
}

// step is one container of the build's pod: its script and environment
// with the Workflow's parameters substituted, as Argo does.
type step struct {
	script string
	env    map[string]string
}

// buildSteps are the clone and builder steps of a build of app.
func buildSteps(t *testing.T, app *v1alpha1.App) (clone, builder step) {
	t.Helper()
	cwft := buildTemplate(t)
	params := map[string]string{}
	for _, p := range cwft.Spec.Arguments.Parameters {
		if p.Value != nil {
			params[p.Name] = p.Value.String()
		}
	}
	wf := resources.MakeBuildWorkflow(app, resources.BuildTrigger{Source: resources.BuildTriggerSpec}, platform.Default())
	for _, p := range wf.Spec.Arguments.Parameters {
		params[p.Name] = p.Value.String()
	}
	tmpl := cwft.Spec.Templates[0]
	for _, c := range tmpl.InitContainers {
		if c.Name == "clone" {
			clone = newStep(t, c.Container, params)
		}
	}
	if clone.script == "" {
		t.Fatal("the template has no clone step")
	}
	return clone, newStep(t, *tmpl.Container, params)
}

func newStep(t *testing.T, c corev1.Container, params map[string]string) step {
	t.Helper()
	if len(c.Command) != 2 || !strings.HasSuffix(c.Command[0], "/sh") || c.Command[1] != "-c" || len(c.Args) != 1 {
		t.Fatalf("container %s: want a shell script (sh -c SCRIPT), got %q %q", c.Name, c.Command, c.Args)
	}
	s := step{script: c.Args[0], env: map[string]string{}}
	for _, e := range c.Env {
		v := e.Value
		for name, value := range params {
			v = strings.ReplaceAll(v, "{{workflow.parameters."+name+"}}", value)
		}
		if strings.Contains(v, "{{") {
			t.Fatalf("container %s: env %s = %q names a parameter the Workflow does not set", c.Name, e.Name, v)
		}
		s.env[e.Name] = v
	}
	return s
}

// run runs the step's script with sh, with its environment (paths moved
// into dir by override) and PATH.
func (s step) run(t *testing.T, override map[string]string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", s.script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range s.env {
		if o, ok := override[k]; ok {
			v = o
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range override {
		if _, ok := s.env[k]; !ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// newApp is an App that builds from url with the Secret secret (none when
// empty).
func newApp(url, secret string, mutate ...func(*v1alpha1.BuildSpec)) *v1alpha1.App {
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "shop", UID: "0b7f1c2e-1111-4222-8333-444455556666"},
		Spec: v1alpha1.AppSpec{Build: &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: url, SecretName: secret},
			ImageRepository: "registry.example.com/team-a/shop",
		}},
	}
	for _, m := range mutate {
		m(app.Spec.Build)
	}
	return app
}

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			// make test installs them (test/run-tests.sh); a missing one is
			// a broken machine, not a reason to pass.
			t.Fatalf("%s is not installed: %v", tool, err)
		}
	}
}
