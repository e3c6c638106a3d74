package appvalidation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	servingconfig "knative.dev/serving/pkg/apis/config"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
)

func TestValidatorCreate(t *testing.T) {
	ctx := context.Background()
	warnings, err := testValidator().ValidateCreate(ctx, fullApp())
	if err != nil || len(warnings) > 0 {
		t.Fatalf("valid App: warnings %q, err %v", warnings, err)
	}

	bad := validApp(func(a *v1alpha1.App) {
		a.Spec.Image = "UPPER"
		a.Spec.Logs = &v1alpha1.Logs{Path: "/"}
		a.Spec.Scaling = &v1alpha1.Scaling{Metric: v1alpha1.ScalingMetricMemory, Target: ptr.To[int32](80)}
	})
	warnings, err = testValidator().ValidateCreate(ctx, bad)
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want a 422 Invalid, got %v", err)
	}
	status := err.(apierrors.APIStatus).Status()
	if status.Code != http.StatusUnprocessableEntity || status.Details.Kind != "App" || status.Details.Group != "knapp.dev" || status.Details.Name != "shop" {
		t.Errorf("status %+v", status)
	}
	var fields []string
	for _, c := range status.Details.Causes {
		fields = append(fields, c.Field)
	}
	if strings.Join(fields, " ") != "spec.image spec.logs.path" {
		t.Errorf("causes name %q, want spec.image and spec.logs.path", fields)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "80 means 80Mi") {
		t.Errorf("warnings %q", warnings)
	}
}

func TestValidatorUpdate(t *testing.T) {
	ctx := context.Background()
	old := validApp(withBuild)
	warnings, err := testValidator().ValidateUpdate(ctx, old, validApp(withBuild, func(a *v1alpha1.App) { a.Spec.Image = "" }))
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.image: Required value: the App would have no image to run") {
		t.Errorf("removing spec.image before a build: %v (warnings %q)", err, warnings)
	}

	old = validApp(conflicting)
	warnings, err = testValidator().ValidateUpdate(ctx, old, validApp(conflicting, func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: "shop-a"} }))
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "the App is waiting for host shop.sls-eu1.apps.example.com held by App team-b/shop") {
		t.Errorf("changing the domain while waiting: warnings %q, err %v", warnings, err)
	}
}

func TestValidatorDeleteAndWrongTypes(t *testing.T) {
	ctx := context.Background()
	if w, err := testValidator().ValidateDelete(ctx, validApp(func(a *v1alpha1.App) { a.Spec.Image = "UPPER" })); err != nil || w != nil {
		t.Errorf("delete: %q %v", w, err)
	}
	pod := &corev1.Pod{}
	if _, err := testValidator().ValidateCreate(ctx, pod); !apierrors.IsBadRequest(err) {
		t.Errorf("create of a Pod: %v", err)
	}
	if _, err := testValidator().ValidateUpdate(ctx, pod, validApp()); !apierrors.IsBadRequest(err) {
		t.Errorf("update from a Pod: %v", err)
	}
	if _, err := testValidator().ValidateUpdate(ctx, validApp(), pod); !apierrors.IsBadRequest(err) {
		t.Errorf("update to a Pod: %v", err)
	}
	if err := (Defaulter{}).Default(ctx, pod); !apierrors.IsBadRequest(err) {
		t.Errorf("default of a Pod: %v", err)
	}
	if _, err := testValidator().ValidateCreate(ctx, (*v1alpha1.App)(nil)); !apierrors.IsBadRequest(err) {
		t.Errorf("create of a nil App: %v", err)
	}
}

func TestDefaulter(t *testing.T) {
	app := validApp(withBuild)
	if err := (Defaulter{}).Default(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	if app.Spec.Build.Git.Revision != "main" || *app.Spec.Build.HistoryLimit != 5 {
		t.Errorf("not defaulted: %+v", app.Spec.Build)
	}
}

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// review posts an AdmissionReview to the handler at path on mux, as the
// apiserver does, and returns the response.
func review(t *testing.T, mux http.Handler, path string, op admissionv1.Operation, old, obj *v1alpha1.App) *admissionv1.AdmissionResponse {
	t.Helper()
	raw := func(a *v1alpha1.App) []byte {
		if a == nil {
			return nil
		}
		a = a.DeepCopy()
		a.APIVersion, a.Kind = v1alpha1.GroupVersion.String(), "App"
		data, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	return reviewRaw(t, mux, path, op, raw(old), raw(obj))
}

// reviewRaw is review with the objects as JSON, such as kubectl sends.
func reviewRaw(t *testing.T, mux http.Handler, path string, op admissionv1.Operation, old, obj []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	ar := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("42"),
			Kind:      metav1.GroupVersionKind{Group: "knapp.dev", Version: "v1alpha1", Kind: "App"},
			Resource:  metav1.GroupVersionResource{Group: "knapp.dev", Version: "v1alpha1", Resource: "apps"},
			Name:      "shop",
			Namespace: "team-a",
			Operation: op,
			Object:    runtime.RawExtension{Raw: obj},
			OldObject: runtime.RawExtension{Raw: old},
		},
	}
	body, err := json.Marshal(ar)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d: %s", path, rec.Code, rec.Body)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("response %s: %v", rec.Body, err)
	}
	if out.Response == nil || out.Response.UID != "42" {
		t.Fatalf("response %s", rec.Body)
	}
	return out.Response
}

// Register serves both webhooks; the apiserver's AdmissionReviews get a 422
// with every field, warnings, and a patch with the defaults.
func TestRegisterServesAdmissionReviews(t *testing.T) {
	server := webhook.NewServer(webhook.Options{})
	Register(server, testScheme(t), testValidator())
	mux := server.WebhookMux()

	resp := review(t, mux, ValidatePath, admissionv1.Create, nil, validApp(func(a *v1alpha1.App) {
		a.Spec.Image = "UPPER"
		a.Spec.Scaling = &v1alpha1.Scaling{Metric: v1alpha1.ScalingMetricCPU, MinScale: ptr.To[int32](0)}
		a.Spec.Release = &v1alpha1.Release{Canary: &v1alpha1.Canary{Revision: "shop-2", Percent: 150}}
	}))
	if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusUnprocessableEntity || resp.Result.Reason != metav1.StatusReasonInvalid {
		t.Fatalf("want a 422 Invalid refusal, got %+v", resp)
	}
	if !strings.Contains(resp.Result.Message, `App.knapp.dev "shop" is invalid`) {
		t.Errorf("message %q", resp.Result.Message)
	}
	var fields []string
	for _, c := range resp.Result.Details.Causes {
		fields = append(fields, c.Field)
	}
	if strings.Join(fields, " ") != "spec.image spec.release.canary.percent" {
		t.Errorf("causes %q", fields)
	}
	if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "does not scale to zero") {
		t.Errorf("warnings %q", resp.Warnings)
	}

	resp = review(t, mux, ValidatePath, admissionv1.Create, nil, fullApp())
	if !resp.Allowed || len(resp.Warnings) > 0 {
		t.Errorf("valid App: %+v", resp)
	}

	resp = review(t, mux, ValidatePath, admissionv1.Update, validApp(holding), validApp(holding, func(a *v1alpha1.App) {
		a.Spec.Domain = &v1alpha1.Domain{Name: "shop-b"}
	}))
	if !resp.Allowed || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "the App holds host shop.sls-eu1.apps.example.com") {
		t.Errorf("domain change: %+v", resp)
	}

	// As kubectl sends it: no status, no spec.template.
	resp = reviewRaw(t, mux, DefaultPath, admissionv1.Create, nil, []byte(`{
		"apiVersion": "knapp.dev/v1alpha1", "kind": "App",
		"metadata": {"name": "shop", "namespace": "team-a"},
		"spec": {
			"build": {"git": {"url": "https://git.example.com/shop.git"}, "imageRepository": "registry.example.com/shop"},
			"schedules": [{"name": "a", "schedule": "@daily"}, {"name": "b", "schedule": "@hourly", "timezone": "Europe/Berlin"}]
		}
	}`))
	if !resp.Allowed || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("defaulting: %+v", resp)
	}
	var patch []jsonpatch.JsonPatchOperation
	if err := json.Unmarshal(resp.Patch, &patch); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, op := range patch {
		if op.Operation != "add" {
			t.Errorf("patch operation %+v: Default only adds", op)
		}
		got[op.Path] = op.Value
	}
	want := map[string]any{
		"/spec/build/git/revision":      "main",
		"/spec/build/dockerfile":        "Dockerfile",
		"/spec/build/context":           ".",
		"/spec/build/historyLimit":      float64(5),
		"/spec/schedules/0/timezone":    "UTC",
		"/spec/schedules/0/contentType": "application/json",
		"/spec/schedules/1/contentType": "application/json",
	}
	if len(got) != len(want) {
		t.Errorf("patch %s, want only %v", resp.Patch, want)
	}
	for p, v := range want {
		if got[p] != v {
			t.Errorf("patch %s = %v, want %v", p, got[p], v)
		}
	}

	// Nothing to default: no patch, not even spec.template or status.
	resp = reviewRaw(t, mux, DefaultPath, admissionv1.Create, nil, []byte(
		`{"apiVersion": "knapp.dev/v1alpha1", "kind": "App", "metadata": {"name": "shop"}, "spec": {"image": "nginx"}}`))
	if !resp.Allowed || len(resp.Patch) > 0 || resp.PatchType != nil {
		t.Errorf("App without defaults: %+v, patch %s", resp, resp.Patch)
	}

	// An App that has its defaults gets no patch.
	defaulted := validApp(withBuild)
	Default(defaulted)
	resp = review(t, mux, DefaultPath, admissionv1.Update, defaulted, defaulted)
	if !resp.Allowed || len(resp.Patch) > 0 {
		t.Errorf("defaulted App: %+v", resp)
	}
}

// Without the cluster's Knative configuration the App cannot be checked
// against Knative's rules: a 500 saying why, never an admission by default.
func TestValidatorRefusesWithoutTheKnativeConfig(t *testing.T) {
	v := Validator{KnativeConfig: func(context.Context) (*servingconfig.Config, error) {
		return nil, errors.New("knative-serving/config-features: bad")
	}}
	if _, err := v.ValidateCreate(context.Background(), validApp()); !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "config-features") {
		t.Errorf("create: want a 500 naming config-features, got %v", err)
	}
	if _, err := v.ValidateUpdate(context.Background(), validApp(), validApp()); !apierrors.IsInternalError(err) {
		t.Errorf("update: want a 500, got %v", err)
	}
}

// The platform's host policy at admission: a reserved name or one the
// namespace may not take is refused naming the field and the setting; an
// update that keeps the host is not.
func TestValidatorFollowsTheHostPolicy(t *testing.T) {
	ctx := context.Background()
	cfg := platform.Default()
	cfg.Hosts = platform.HostPolicy{Reserved: []string{"login"}, ByNamespace: map[string][]string{"team-a": {"shop"}}}
	v := Validator{Platform: cfg}
	login := validApp(func(a *v1alpha1.App) { a.Name, a.Namespace = "login", "team-b" })
	if _, err := v.ValidateCreate(ctx, login); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "metadata.name: Forbidden: the host name login is reserved by the platform (platform config hosts.reserved)") {
		t.Errorf("a reserved name: %v", err)
	}
	cart := validApp(func(a *v1alpha1.App) { a.Spec.Domain = &v1alpha1.Domain{Name: "cart"} })
	if _, err := v.ValidateCreate(ctx, cart); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.domain.name: Forbidden: namespace team-a may take only the host names shop") {
		t.Errorf("a name the namespace may not take: %v", err)
	}
	if _, err := v.ValidateCreate(ctx, validApp()); err != nil {
		t.Errorf("team-a/shop is allowed: %v", err)
	}
	relabelled := cart.DeepCopy()
	relabelled.Labels = map[string]string{"team": "a"}
	if _, err := v.ValidateUpdate(ctx, cart, relabelled); err != nil {
		t.Errorf("an update that keeps the host of an App admitted before the policy: %v", err)
	}
}

// The platform's build policy at admission: a ClusterWorkflowTemplate the
// platform does not allow, a repository outside the namespace's prefix.
func TestValidatorFollowsTheBuildPolicy(t *testing.T) {
	ctx := context.Background()
	cfg := platform.Default()
	cfg.Builds = platform.BuildPolicy{ImageRepositoryPrefix: "registry.example.com/{namespace}/"}
	v := Validator{Platform: cfg}
	app := validApp(func(a *v1alpha1.App) {
		a.Spec.Build = &v1alpha1.BuildSpec{
			Git:             v1alpha1.GitSource{URL: "https://git.example.com/team-a/shop.git"},
			ImageRepository: "registry.example.com/team-b/shop",
			TemplateRef:     &v1alpha1.TemplateRef{Name: "other-teams", ClusterScope: true},
		}
	})
	_, err := v.ValidateCreate(ctx, app)
	for _, want := range []string{
		"spec.build.templateRef.name: Forbidden: ClusterWorkflowTemplate other-teams is not one the platform allows",
		`spec.build.imageRepository: Invalid value: "registry.example.com/team-b/shop": must start with registry.example.com/team-a/`,
	} {
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	ok := app.DeepCopy()
	ok.Spec.Build.ImageRepository, ok.Spec.Build.TemplateRef = "registry.example.com/team-a/shop", &v1alpha1.TemplateRef{Name: "own"}
	if _, err := v.ValidateCreate(ctx, ok); err != nil {
		t.Errorf("its own repository and a WorkflowTemplate of its namespace: %v", err)
	}
}
