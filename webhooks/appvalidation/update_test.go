package appvalidation

import (
	"k8s.io/apimachinery/pkg/types"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
)

const builtImageRef = "registry.example.com/team-a/shop@sha256:1111111111111111111111111111111111111111111111111111111111111111"

func withBuild(a *v1alpha1.App) {
	a.Spec.Build = &v1alpha1.BuildSpec{Git: v1alpha1.GitSource{URL: "https://git.example.com/shop.git"}, ImageRepository: "registry.example.com/team-a/shop"}
}

func withBuiltImage(a *v1alpha1.App) {
	a.Status.Build = &v1alpha1.BuildStatus{Image: builtImageRef}
}

func conflicting(a *v1alpha1.App) {
	a.Status.MarkDomainConflict("shop.sls-eu1.apps.example.com", types.NamespacedName{Namespace: "team-b", Name: "shop"})
}

func holding(a *v1alpha1.App) {
	a.Status.Domain = &v1alpha1.DomainStatus{Host: "shop.sls-eu1.apps.example.com", ClaimedAt: metav1.Now()}
	a.Status.MarkDomainReady("shop.sls-eu1.apps.example.com")
}

func TestValidateUpdate(t *testing.T) {
	tests := []struct {
		name     string
		old, new *v1alpha1.App
		field    string // "" for no error
		msg      string
	}{
		{"unchanged valid App", fullApp(), fullApp(), "", ""},
		{"new error refused", validApp(), validApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/proc/1"} }),
			"spec.logs.path", "/proc"},
		{"removing spec.image before a build succeeded", validApp(withBuild), validApp(withBuild, func(a *v1alpha1.App) { a.Spec.Image = "" }),
			"spec.image", "the App would have no image to run"},
		{"removing spec.image while the first build runs", validApp(withBuild, func(a *v1alpha1.App) {
			a.Status.Build = &v1alpha1.BuildStatus{Builds: []v1alpha1.BuildRecord{{Workflow: "shop-b1", Phase: "Running"}}}
		}), validApp(withBuild, func(a *v1alpha1.App) { a.Spec.Image = "" }),
			"spec.image", "no build of spec.build has succeeded yet"},
		{"removing spec.image after a build succeeded", validApp(withBuild, withBuiltImage), validApp(withBuild, withBuiltImage, func(a *v1alpha1.App) { a.Spec.Image = "" }),
			"", ""},
		{"removing spec.build whose image runs", validApp(withBuild, withBuiltImage, func(a *v1alpha1.App) { a.Spec.Image = "" }),
			validApp(withBuiltImage, func(a *v1alpha1.App) { a.Spec.Image = "" }),
			"spec.build", "set spec.image in the same update (to " + builtImageRef},
		{"removing spec.build with spec.image set", validApp(withBuild, withBuiltImage), validApp(withBuiltImage), "", ""},
		{"changing the domain while in conflict", validApp(conflicting), validApp(conflicting, func(a *v1alpha1.App) {
			a.Spec.Domain = &v1alpha1.Domain{Name: "shop-a"}
		}), "", ""},
		{"an error the stored App has already", validApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/proc/1"} }),
			validApp(func(a *v1alpha1.App) {
				a.Spec.Logs = &v1alpha1.Logs{Path: "/proc/1"}
				a.Labels = map[string]string{"team": "a"}
			}), "", ""},
		{"a changed bad value is new", validApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/proc/1"} }),
			validApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/proc/2"} }), "spec.logs.path", "/proc/2"},
		{"no old App", nil, validApp(func(a *v1alpha1.App) { a.Spec.Image = "UPPER" }), "spec.image", "not a valid image reference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := validateUpdate(tc.old, tc.new)
			if tc.field == "" {
				if len(errs) > 0 {
					t.Fatalf("want no errors, got %v", errs.ToAggregate())
				}
				return
			}
			e := find(errs, tc.field)
			if e == nil {
				t.Fatalf("no error for %s; got %v", tc.field, errs.ToAggregate())
			}
			if !strings.Contains(e.Error(), tc.msg) {
				t.Errorf("error %q should contain %q", e.Error(), tc.msg)
			}
		})
	}
}

// Removing spec.build whose image runs gives one error, the specific one,
// not also Validate's generic "set spec.image or spec.build".
func TestValidateUpdateRemovingBuildHasOneError(t *testing.T) {
	old := validApp(withBuild, withBuiltImage, func(a *v1alpha1.App) { a.Spec.Image = "" })
	errs := validateUpdate(old, validApp(withBuiltImage, func(a *v1alpha1.App) { a.Spec.Image = "" }))
	if len(errs) != 1 || errs[0].Field != "spec.build" {
		t.Errorf("want one error for spec.build, got %v", errs.ToAggregate())
	}
}

func TestUpdateWarnings(t *testing.T) {
	tests := []struct {
		name     string
		old, new *v1alpha1.App
		want     []string
	}{
		{"nothing surprising", fullApp(), fullApp(), nil},
		{"changing the domain while waiting for the host", validApp(conflicting), validApp(conflicting, func(a *v1alpha1.App) {
			a.Spec.Domain = &v1alpha1.Domain{Name: "shop-a"}
		}), []string{"spec.domain.name: the App is waiting for host shop.sls-eu1.apps.example.com held by App team-b/shop; " +
			"changing domain.name now gives up waiting for it: the App asks for shop-a.sls-eu1.apps.example.com instead"}},
		{"changing the domain while waiting, no status.domainConflict (an older knapp's status)", validApp(func(a *v1alpha1.App) {
			a.Status.MarkCondition(v1alpha1.ConditionDomainReady, metav1.ConditionFalse, v1alpha1.ReasonDomainConflict, "someone has it")
		}),
			validApp(func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: "shop-a"} }),
			[]string{"the App is waiting for its host (someone has it); changing domain.name now"}},
		{"changing the domain while holding the host", validApp(holding), validApp(holding, func(a *v1alpha1.App) {
			a.Spec.Domain = &v1alpha1.Domain{Name: "shop-a"}
		}), []string{"spec.domain.name: the App holds host shop.sls-eu1.apps.example.com; changing domain.name releases it"}},
		{"spelling out the App's name as domain changes no host", validApp(holding), validApp(holding, func(a *v1alpha1.App) {
			a.Spec.Domain = &v1alpha1.Domain{Name: "shop"}
		}), nil},
		{"removing spec.build switches to spec.image", validApp(withBuild, withBuiltImage), validApp(withBuiltImage),
			[]string{"spec.build: removing it switches the App from the image its build made (" + builtImageRef + ") to spec.image (registry.example.com/team-a/shop:1.4.2)"}},
		{"changing spec.image while the built image runs", validApp(withBuild, withBuiltImage), validApp(withBuild, withBuiltImage, func(a *v1alpha1.App) {
			a.Spec.Image = "registry.example.com/team-a/shop:2"
		}), []string{"spec.image: changing it has no effect while spec.build has a successful build"}},
		{"an error the stored App has already", validApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/proc/1"} }),
			validApp(func(a *v1alpha1.App) { a.Spec.Logs = &v1alpha1.Logs{Path: "/proc/1"} }),
			[]string{`spec.logs.path: Invalid value: "/proc/1"`, "the stored App has this already"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := updateWarnings(tc.old, tc.new)
			if len(tc.want) == 0 {
				if len(got) > 0 {
					t.Fatalf("want no warnings, got %q", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one warning, got %q", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("warning %q should contain %q", got[0], w)
				}
			}
		})
	}
}
