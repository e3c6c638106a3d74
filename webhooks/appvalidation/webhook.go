package appvalidation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	servingconfig "knative.dev/serving/pkg/apis/config"
	"net/http"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

// The paths the webhooks are served at; config/webhook/appvalidation.yaml
// names them.
const (
	// ValidatePath serves the ValidatingWebhookConfiguration knapp-app-validation.
	ValidatePath = "/validate-knapp-dev-v1alpha1-app"
	// DefaultPath serves the MutatingWebhookConfiguration knapp-app-defaulting.
	DefaultPath = "/mutate-knapp-dev-v1alpha1-app"
)

// GroupKind is the App's, for errors.
var GroupKind = v1alpha1.GroupVersion.WithKind("App").GroupKind()

// Validator is the App's admission.CustomValidator: Validate on create,
// ValidateUpdate on update, nothing on delete, under the Knative
// configuration KnativeConfig gives. Its errors are one 422 Invalid naming
// every field, as the apiserver's own validation reports them, so kubectl
// prints each; its warnings are Warnings and UpdateWarnings. Without the
// configuration (a config map that does not parse, the API unreachable) it
// refuses with a 500 saying so: Knative would refuse the Service as well.
type Validator struct {
	KnativeConfig KnativeConfig
	// Platform decides which host names Apps may take
	// (platform.Config.HostProblem); its zero value allows every name.
	Platform platform.Config
}

var _ admission.CustomValidator = Validator{}

// ValidateCreate implements admission.CustomValidator.
func (v Validator) ValidateCreate(ctx context.Context, obj runtime.Object) (admission.Warnings, error) {
	app, err := asApp(obj)
	if err != nil {
		return nil, err
	}
	cfg, err := v.knativeConfig(ctx)
	if err != nil {
		return nil, err
	}
	return Warnings(app), invalid(app, append(append(Validate(ctx, cfg, app), v.hostErrors(nil, app)...), v.buildErrors(nil, app)...))
}

// ValidateUpdate implements admission.CustomValidator.
func (v Validator) ValidateUpdate(ctx context.Context, oldObj, newObj runtime.Object) (admission.Warnings, error) {
	old, err := asApp(oldObj)
	if err != nil {
		return nil, err
	}
	app, err := asApp(newObj)
	if err != nil {
		return nil, err
	}
	cfg, err := v.knativeConfig(ctx)
	if err != nil {
		return nil, err
	}
	// ValidateUpdate and UpdateWarnings, from one comparison of the errors.
	fresh, retained := compareErrors(ctx, cfg, old, app)
	errs := append(append(updateErrorsOf(old, app, fresh), v.hostErrors(old, app)...), v.buildErrors(old, app)...)
	return updateWarningsOf(old, app, retained), invalid(app, errs)
}

// hostErrors refuses a host name the platform's host policy keeps from the
// App, when it is new (created, or the update asks for another): an App
// admitted before the policy changed keeps taking updates, and the
// reconciler reports it.
func (v Validator) hostErrors(old, app *v1alpha1.App) field.ErrorList {
	if old != nil && old.HostLabel() == app.HostLabel() {
		return nil
	}
	why := v.Platform.HostProblem(app.Namespace, app.HostLabel())
	if why == "" {
		return nil
	}
	p := field.NewPath("spec", "domain", "name")
	if app.Spec.Domain == nil {
		p = field.NewPath("metadata", "name")
	}
	return field.ErrorList{field.Forbidden(p, why)}
}

// buildErrors refuses a build template or image repository the platform's
// build policy does not allow, when new (as hostErrors).
func (v Validator) buildErrors(old, app *v1alpha1.App) field.ErrorList {
	b := app.Spec.Build
	if b == nil {
		return nil
	}
	var oldB v1alpha1.BuildSpec
	if old != nil && old.Spec.Build != nil {
		oldB = *old.Spec.Build
	}
	var errs field.ErrorList
	p := field.NewPath("spec", "build")
	if ref := b.TemplateRef; ref != nil && (old == nil || oldB.TemplateRef == nil || *oldB.TemplateRef != *ref) {
		if why := v.Platform.BuildTemplateProblem(ref.Name, ref.ClusterScope); why != "" {
			errs = append(errs, field.Forbidden(p.Child("templateRef", "name"), why))
		}
	}
	if old == nil || oldB.ImageRepository != b.ImageRepository {
		if why := v.Platform.ImageRepositoryNotAllowed(app.Namespace, b.ImageRepository); why != "" {
			errs = append(errs, field.Invalid(p.Child("imageRepository"), b.ImageRepository, why))
		}
	}
	if b.CacheRepository != "" && (old == nil || oldB.CacheRepository != b.CacheRepository) {
		// The build pushes its layer cache there: the same policy.
		if why := v.Platform.ImageRepositoryNotAllowed(app.Namespace, b.CacheRepository); why != "" {
			errs = append(errs, field.Invalid(p.Child("cacheRepository"), b.CacheRepository, why))
		}
	}
	return errs
}

func (v Validator) knativeConfig(ctx context.Context) (*servingconfig.Config, error) {
	source := v.KnativeConfig
	if source == nil {
		source = DefaultKnativeConfig
	}
	cfg, err := source(ctx)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return cfg, nil
}

// ValidateDelete implements admission.CustomValidator; every App may go.
func (Validator) ValidateDelete(context.Context, runtime.Object) (admission.Warnings, error) {
	return nil, nil
}

// Defaulter is the App's admission.CustomDefaulter: Default.
type Defaulter struct{}

var _ admission.CustomDefaulter = Defaulter{}

// Default implements admission.CustomDefaulter.
func (Defaulter) Default(_ context.Context, obj runtime.Object) error {
	app, err := asApp(obj)
	if err != nil {
		return err
	}
	Default(app)
	return nil
}

func asApp(obj runtime.Object) (*v1alpha1.App, error) {
	app, ok := obj.(*v1alpha1.App)
	if !ok || app == nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected an App (%s), got %T", v1alpha1.GroupVersion, obj))
	}
	return app, nil
}

// invalid is nil for no errors, else a 422 Invalid for the App.
func invalid(app *v1alpha1.App, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(GroupKind, app.Name, errs)
}

// NewValidatingWebhook is the validating webhook's handler, to serve at
// ValidatePath.
func NewValidatingWebhook(scheme *runtime.Scheme, v Validator) *admission.Webhook {
	wh := admission.WithCustomValidator(scheme, &v1alpha1.App{}, v)
	wh.Handler = countedValidation{wh.Handler}
	return wh
}

// NewDefaultingWebhook is the defaulting webhook's handler, to serve at
// DefaultPath. Its patch holds only what Default sets.
func NewDefaultingWebhook(scheme *runtime.Scheme) *admission.Webhook {
	wh := admission.WithCustomDefaulter(scheme, &v1alpha1.App{}, Defaulter{})
	wh.Handler = countedDefaulting{defaultsOnly{wh.Handler}}
	return wh
}

// defaultedPaths are the JSON pointers of what Default sets.
var defaultedPaths = []string{"/spec/build", "/spec/schedules"}

// defaultsOnly drops patch operations outside defaultedPaths.
// controller-runtime's defaulter patches the difference between the request's
// JSON and the App marshalled back, which also adds what Go writes for
// empty structs (spec.template: {}, status: {}); the patch should hold the
// defaults and nothing else.
type defaultsOnly struct {
	admission.Handler
}

func (h defaultsOnly) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp := h.Handler.Handle(ctx, req)
	resp.Patches = slices.DeleteFunc(resp.Patches, func(op jsonpatch.JsonPatchOperation) bool {
		for _, p := range defaultedPaths {
			if op.Path == p || strings.HasPrefix(op.Path, p+"/") {
				return false
			}
		}
		return true
	})
	if len(resp.Patches) == 0 {
		resp.PatchType = nil
	}
	return resp
}

// Registrar serves a handler at a path: controller-runtime's webhook.Server,
// or a test's server.
type Registrar interface {
	Register(path string, hook http.Handler)
}

// Register serves both webhooks on server, at ValidatePath and DefaultPath.
// scheme must know the App (v1alpha1.AddToScheme); v validates.
func Register(server Registrar, scheme *runtime.Scheme, v Validator) {
	server.Register(ValidatePath, NewValidatingWebhook(scheme, v))
	server.Register(DefaultPath, NewDefaultingWebhook(scheme))
}
