package appvalidation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	servingconfig "knative.dev/serving/pkg/apis/config"

	"knapp.dev/knapp/api/v1alpha1"
)

// ValidateUpdate checks an update of old to new: Validate's rules for new,
// and that the update leaves the App an image to run. Status is read from
// old, the stored object (the apiserver does not let a spec update change
// status).
//
// An error that old has already (same field, type, value and detail) does
// not refuse the update: the rules may be stricter than what was admitted
// before this webhook existed, and an App stored then must still take
// updates that do not touch the field, such as labels or a fix of another
// field. UpdateWarnings reports such errors as warnings instead; the
// reconciler reports them in status.
func ValidateUpdate(ctx context.Context, cfg *servingconfig.Config, old, new *v1alpha1.App) field.ErrorList {
	if new == nil {
		return nil
	}
	if old == nil {
		return Validate(ctx, cfg, new)
	}
	fresh, _ := compareErrors(ctx, cfg, old, new)
	return updateErrorsOf(old, new, fresh)
}

// updateErrorsOf is ValidateUpdate's result, given fresh, Validate's errors
// of new that old does not have.
func updateErrorsOf(old, new *v1alpha1.App, fresh field.ErrorList) field.ErrorList {
	errs := fresh
	spec, oldSpec := &new.Spec, &old.Spec
	built := builtImage(old)
	sp := field.NewPath("spec")

	// Removing spec.image before a build made one.
	if oldSpec.Image != "" && spec.Image == "" && spec.Build != nil && built == "" {
		errs = append(errs, field.Required(sp.Child("image"),
			"the App would have no image to run: no build of spec.build has succeeded yet (status.build.image is empty); "+
				"keep spec.image until one has"))
	}
	// Removing spec.build whose image runs, without an image to run instead.
	// (The CRD refuses an App with neither; this says why, and replaces
	// Validate's generic error.)
	if oldSpec.Build != nil && spec.Build == nil && spec.Image == "" && built != "" {
		imagePath := sp.Child("image").String()
		errs = slices.DeleteFunc(errs, func(e *field.Error) bool {
			return e.Type == field.ErrorTypeRequired && e.Field == imagePath
		})
		errs = append(errs, field.Required(sp.Child("build"), fmt.Sprintf(
			"the App would have no image to run: it runs the image its build made (%s), which goes with spec.build, and spec.image is empty; "+
				"keep spec.build, or set spec.image in the same update (to %s to keep running that image)", built, built)))
	}
	return errs
}

// compareErrors splits Validate's errors of new into those old does not
// have (fresh) and those it has already (retained). Validate, with
// Knative's validation the costly part of admission, runs once per App.
func compareErrors(ctx context.Context, cfg *servingconfig.Config, old, new *v1alpha1.App) (fresh, retained field.ErrorList) {
	errs := Validate(ctx, cfg, new)
	if len(errs) == 0 {
		return nil, nil
	}
	had := make(map[string]bool)
	for _, e := range Validate(ctx, cfg, old) {
		had[errorKey(e)] = true
	}
	for _, e := range errs {
		if had[errorKey(e)] {
			retained = append(retained, e)
		} else {
			fresh = append(fresh, e)
		}
	}
	return fresh, retained
}

func errorKey(e *field.Error) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%#v", e.Type, e.Field, e.Detail, e.BadValue)
}

func builtImage(app *v1alpha1.App) string {
	if app.Status.Build == nil {
		return ""
	}
	return app.Status.Build.Image
}

// Warnings explain what an App asks for that is allowed but likely not
// what was meant. kubectl prints them as "Warning: ...".
func Warnings(app *v1alpha1.App) []string {
	if app == nil {
		return nil
	}
	var w []string
	cs := app.Spec.Template.Containers
	for i := 1; i < len(cs); i++ {
		if len(cs[i].Ports) > 0 {
			w = append(w, fmt.Sprintf(
				"spec.template.containers[%d].ports: Knative sends requests to the container with the port, so this sidecar, not the app's own (first) container, takes the App's requests", i))
		}
	}
	if s := app.Spec.Scaling; s != nil {
		hpa := s.Metric == v1alpha1.ScalingMetricCPU || s.Metric == v1alpha1.ScalingMetricMemory
		if s.Metric == v1alpha1.ScalingMetricMemory && s.Target != nil {
			w = append(w, fmt.Sprintf(
				"spec.scaling.target: with metric memory Knative's HPA reads the target as MiB of memory per pod (%d means %dMi), not as a percent of the request", *s.Target, *s.Target))
		}
		if hpa && s.MinScale != nil && *s.MinScale == 0 {
			w = append(w, fmt.Sprintf(
				"spec.scaling.minScale: metric %s scales with the Horizontal Pod Autoscaler, which does not scale to zero: at least one pod runs", s.Metric))
		}
	}
	return w
}

// UpdateWarnings are Warnings of new, the errors new keeps from old (which
// ValidateUpdate lets pass), and what the update changes that is allowed
// but surprising: giving up a host, running spec.image instead of the built
// image, changing spec.image while the built image runs.
func UpdateWarnings(ctx context.Context, cfg *servingconfig.Config, old, new *v1alpha1.App) []string {
	if new == nil {
		return nil
	}
	if old == nil {
		return Warnings(new)
	}
	_, retained := compareErrors(ctx, cfg, old, new)
	return updateWarningsOf(old, new, retained)
}

// updateWarningsOf is UpdateWarnings' result, given retained, Validate's
// errors of new that old has already.
func updateWarningsOf(old, new *v1alpha1.App, retained field.ErrorList) []string {
	w := Warnings(new)
	for _, e := range retained {
		w = append(w, e.Error()+" (the stored App has this already; the update may keep it, but the App cannot run as asked until it is fixed)")
	}
	w = append(w, domainWarnings(old, new)...)

	built := builtImage(old)
	switch {
	case built == "" || old.Spec.Build == nil:
	case new.Spec.Build == nil && new.Spec.Image != "":
		w = append(w, fmt.Sprintf(
			"spec.build: removing it switches the App from the image its build made (%s) to spec.image (%s)", built, new.Spec.Image))
	case new.Spec.Build != nil && new.Spec.Image != old.Spec.Image && new.Spec.Image != "":
		w = append(w, fmt.Sprintf(
			"spec.image: changing it has no effect while spec.build has a successful build: the App runs the built image %s", built))
	}
	return w
}

func domainWarnings(old, new *v1alpha1.App) []string {
	oldLabel, newLabel := old.HostLabel(), new.HostLabel()
	if oldLabel == newLabel {
		return nil
	}
	cond := old.Status.GetCondition(v1alpha1.ConditionDomainReady)
	switch {
	case cond != nil && cond.Status == metav1.ConditionFalse && cond.Reason == v1alpha1.ReasonDomainConflict:
		if c := old.Status.DomainConflict; c != nil {
			return []string{fmt.Sprintf(
				"spec.domain.name: the App is waiting for host %s held by App %s; changing domain.name now gives up waiting for it: "+
					"the App asks for %s instead and is served there once no other App holds it", c.Host, c.HeldBy, swapLabel(c.Host, newLabel))}
		}
		// A status written by a knapp before status.domainConflict.
		return []string{fmt.Sprintf(
			"spec.domain.name: the App is waiting for its host (%s); changing domain.name now gives up waiting for it: "+
				"the App asks for the host %s.<domain> instead and is served there once no other App holds it", cond.Message, newLabel)}
	case old.Status.Domain != nil && old.Status.Domain.Host != "":
		host := old.Status.Domain.Host
		return []string{fmt.Sprintf(
			"spec.domain.name: the App holds host %s; changing domain.name releases it once knapp reconciles the App: "+
				"another App that asks for %s may take it, and this App would then have to wait for it to come back. "+
				"The App asks for %s instead and is served there once no other App holds it",
			host, host, swapLabel(host, newLabel))}
	}
	return nil
}

// swapLabel replaces the first label of host.
func swapLabel(host, label string) string {
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return label + host[i:]
	}
	return label
}
