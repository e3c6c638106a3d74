package appvalidation

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

func TestDefaultValues(t *testing.T) {
	app := validApp(withBuild, func(a *v1alpha1.App) {
		a.Spec.Schedules = []v1alpha1.Schedule{{Name: "a", Schedule: "@daily"}, {Name: "b", Schedule: "@hourly"}}
	})
	Default(app)
	b := app.Spec.Build
	if b.Git.Revision != "main" || b.Dockerfile != "Dockerfile" || b.Context != "." || b.HistoryLimit == nil || *b.HistoryLimit != 5 {
		t.Errorf("build defaults: %+v", b)
	}
	if b.Hook != nil {
		t.Errorf("hook set: %+v", b.Hook)
	}
	for _, s := range app.Spec.Schedules {
		if s.Timezone != "UTC" || s.ContentType != "application/json" {
			t.Errorf("schedule defaults: %+v", s)
		}
	}
	if errs := validate(app); len(errs) > 0 {
		t.Errorf("the defaulted App is invalid: %v", errs.ToAggregate())
	}
}

func TestDefaultKeepsWhatIsSet(t *testing.T) {
	app := fullApp(func(a *v1alpha1.App) {
		a.Spec.Build.Hook = &v1alpha1.BuildHook{SecretName: "hook"}
	})
	want := app.DeepCopy()
	want.Spec.Schedules[0].ContentType = "application/json"
	want.Spec.Schedules[1].Timezone = "UTC"
	Default(app)
	if !equality.Semantic.DeepEqual(app, want) {
		t.Errorf("Default changed what was set:\n got %+v\nwant %+v", app.Spec, want.Spec)
	}
	if app.Spec.Build.Hook.Branch != "" {
		t.Errorf("hook.branch defaulted to %q; it must keep following git.revision", app.Spec.Build.Hook.Branch)
	}
}

func TestDefaultIsIdempotent(t *testing.T) {
	for name, app := range map[string]*v1alpha1.App{
		"minimal":    validApp(),
		"full":       fullApp(),
		"build":      validApp(withBuild),
		"schedules":  validApp(func(a *v1alpha1.App) { a.Spec.Schedules = []v1alpha1.Schedule{{Name: "a"}} }),
		"empty spec": {},
	} {
		t.Run(name, func(t *testing.T) {
			Default(app)
			once := app.DeepCopy()
			Default(app)
			if !equality.Semantic.DeepEqual(app, once) {
				t.Errorf("the second Default changed the App:\n once %+v\ntwice %+v", once.Spec, app.Spec)
			}
		})
	}
	Default(nil)
}

// The defaults are the builder's: spelling them out changes neither the
// build Workflow's name (so no new build) nor the PingSource.
func TestDefaultChangesNothingTheAppRuns(t *testing.T) {
	app := validApp(withBuild, func(a *v1alpha1.App) {
		a.Spec.Schedules = []v1alpha1.Schedule{{Name: "a", Schedule: "@daily", Data: `{"x":1}`}}
	})
	defaulted := app.DeepCopy()
	Default(defaulted)
	trigger := resources.BuildTrigger{Source: resources.BuildTriggerSpec}
	if a, b := resources.BuildWorkflowName(app, trigger), resources.BuildWorkflowName(defaulted, trigger); a != b {
		t.Errorf("build Workflow name changed from %s to %s", a, b)
	}
	cfg := platform.Config{}
	a := resources.MakeBuildWorkflow(app, trigger, cfg)
	b := resources.MakeBuildWorkflow(defaulted, trigger, cfg)
	if !equality.Semantic.DeepEqual(a.Spec, b.Spec) {
		t.Errorf("build Workflow spec changed:\n%+v\n%+v", a.Spec, b.Spec)
	}
	if a, b := resources.MakePingSource(app, app.Spec.Schedules[0]), resources.MakePingSource(defaulted, defaulted.Spec.Schedules[0]); !equality.Semantic.DeepEqual(a, b) {
		t.Errorf("PingSource changed:\n%+v\n%+v", a, b)
	}
}
