package testenv

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	argov1alpha1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	istioapinetworkingv1 "istio.io/api/networking/v1"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	knappv1alpha1 "knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
)

// startEnv starts an Env for the test, or skips the test on a machine
// without the control plane binaries. In CI a missing KUBEBUILDER_ASSETS is
// a broken setup, so it fails instead.
func startEnv(t *testing.T) *Env {
	t.Helper()
	if os.Getenv(AssetsEnv) == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set (CI=true): export it to the last line of bash test/controlplane/install.sh", AssetsEnv)
		}
		t.Skipf("%s is not set: export %s=$(bash test/controlplane/install.sh | tail -n1) to run this test", AssetsEnv, AssetsEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	env, err := Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("control plane started in %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return env
}

func newService(name string) *servingv1.Service {
	svc := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	svc.Spec.Template.Spec.Containers = []corev1.Container{{Image: "registry.example.com/team-a/hello:1.0.0"}}
	return svc
}

// TestKnativeAdmission checks that Knative Services written to the Env go
// through Knative's own defaulting and validation, and that the third-party
// CRDs are served.
func TestKnativeAdmission(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	c := env.Client

	t.Run("defaults a Service with only an image", func(t *testing.T) {
		if err := c.Create(ctx, newService("defaulted")); err != nil {
			t.Fatalf("create: %v", err)
		}
		got := &servingv1.Service{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "defaulted"}, got); err != nil {
			t.Fatalf("get: %v", err)
		}
		spec := got.Spec.Template.Spec
		if name := spec.Containers[0].Name; name != "user-container" {
			t.Errorf("container name = %q, want user-container", name)
		}
		if spec.TimeoutSeconds == nil || *spec.TimeoutSeconds != 300 {
			t.Errorf("timeoutSeconds = %v, want 300", ptr.Deref(spec.TimeoutSeconds, -1))
		}
		if spec.ContainerConcurrency == nil || *spec.ContainerConcurrency != 0 {
			t.Errorf("containerConcurrency = %v, want 0", ptr.Deref(spec.ContainerConcurrency, -1))
		}
		if p := spec.Containers[0].ReadinessProbe; p == nil || p.TCPSocket == nil {
			t.Errorf("readinessProbe = %+v, want Knative's default TCP probe", p)
		}
		traffic := got.Spec.Traffic
		if len(traffic) != 1 || !ptr.Deref(traffic[0].LatestRevision, false) || ptr.Deref(traffic[0].Percent, 0) != 100 {
			t.Errorf("traffic = %+v, want latestRevision with 100 percent", traffic)
		}
		// The creator annotation comes from the request's user info.
		if creator := got.Annotations["serving.knative.dev/creator"]; creator != "admin" {
			t.Errorf("serving.knative.dev/creator = %q, want admin (envtest's user)", creator)
		}
	})

	// Knative's webhooks also see status updates; tests that play Knative's
	// controller by marking a Service ready go through them.
	t.Run("admits a status update", func(t *testing.T) {
		svc := &servingv1.Service{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "defaulted"}, svc); err != nil {
			t.Fatalf("get: %v", err)
		}
		svc.Status.ObservedGeneration = svc.Generation
		svc.Status.LatestReadyRevisionName = "defaulted-00001"
		// The CRD's schema wants lastTransitionTime, as Knative's condition
		// manager always sets it.
		svc.Status.Conditions = duckv1.Conditions{{
			Type: apis.ConditionReady, Status: corev1.ConditionTrue,
			LastTransitionTime: apis.VolatileTime{Inner: metav1.Now()},
		}}
		if err := c.Status().Update(ctx, svc); err != nil {
			t.Fatalf("status update: %v", err)
		}
		if !svc.IsReady() {
			t.Errorf("stored status is not ready: %+v", svc.Status)
		}
	})

	t.Run("refuses an invalid Service with Knative's message", func(t *testing.T) {
		for name, tc := range map[string]struct {
			mutate func(*servingv1.Service)
			want   string
		}{
			"two ports": {
				mutate: func(s *servingv1.Service) {
					s.Spec.Template.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080}, {ContainerPort: 9090}}
				},
				want: "more than one container port is set",
			},
			"negative concurrency": {
				mutate: func(s *servingv1.Service) { s.Spec.Template.Spec.ContainerConcurrency = ptr.To[int64](-1) },
				want:   "expected 0 <= -1 <= 1000: spec.template.spec.containerConcurrency",
			},
		} {
			t.Run(name, func(t *testing.T) {
				svc := newService("invalid")
				tc.mutate(svc)
				err := c.Create(ctx, svc)
				if err == nil {
					t.Fatal("create succeeded, want Knative's validation to refuse it")
				}
				msg := err.Error()
				if !apierrors.IsBadRequest(err) || !strings.Contains(msg, `admission webhook "validation.webhook.serving.knative.dev" denied the request: validation failed: `) || !strings.Contains(msg, tc.want) {
					t.Errorf("create error = %v, want a 400 from Knative's validation webhook containing %q", err, tc.want)
				}
			})
		}
	})

	t.Run("refuses a template change that keeps a bring-your-own revision name", func(t *testing.T) {
		svc := newService("byo")
		svc.Spec.Template.Name = "byo-first"
		if err := c.Create(ctx, svc); err != nil {
			t.Fatalf("create: %v", err)
		}

		// An update that leaves the template alone is fine: the old object
		// is compared as Knative defaults it.
		svc.Labels = map[string]string{"team": "a"}
		if err := c.Update(ctx, svc); err != nil {
			t.Fatalf("update without a template change: %v", err)
		}

		svc.Spec.Template.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "MODE", Value: "prod"}}
		err := c.Update(ctx, svc.DeepCopy())
		if err == nil || !strings.Contains(err.Error(), "Saw the following changes without a name change (-old +new): spec.template.metadata.name") {
			t.Fatalf("update keeping the name = %v, want Knative's BYO-name refusal", err)
		}

		svc.Spec.Template.Name = "byo-second"
		if err := c.Update(ctx, svc); err != nil {
			t.Fatalf("update with a new name: %v", err)
		}
		if got := svc.Annotations["serving.knative.dev/lastModifier"]; got != "admin" {
			t.Errorf("serving.knative.dev/lastModifier = %q, want admin", got)
		}
	})

	// Eventing's webhook does not run here: this checks PingSource's CRD
	// (Eventing v0.50.0) serves and stores what knapp writes, unpruned.
	t.Run("stores PingSources as knapp makes them", func(t *testing.T) {
		pc := env.Client
		// An App named like the Service above.
		app := &knappv1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "defaulted", UID: "0b7f1c2e-1111-4222-8333-444455556666"}}
		for _, s := range []knappv1alpha1.Schedule{
			{Name: "nightly", Schedule: "0 3 * * *"},
			{Name: "report", Schedule: "30 8 * * mon-fri", Timezone: "Europe/Berlin", ContentType: "text/plain; charset=utf-8", Data: "weekly report"},
		} {
			want := resources.MakePingSource(app, s)
			if err := pc.Create(ctx, want.DeepCopy()); err != nil {
				t.Fatalf("create %s: %v", want.Name, err)
			}
			got := &resources.PingSource{}
			if err := pc.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
				t.Fatalf("get %s: %v", want.Name, err)
			}
			if !equality.Semantic.DeepEqual(got.Spec, want.Spec) || !equality.Semantic.DeepEqual(got.Labels, want.Labels) ||
				!equality.Semantic.DeepEqual(got.OwnerReferences, want.OwnerReferences) {
				t.Errorf("%s read back:\n got %+v %v %+v\nwant %+v %v %+v", want.Name,
					got.Spec, got.Labels, got.OwnerReferences, want.Spec, want.Labels, want.OwnerReferences)
			}
		}
	})

	t.Run("stores typed Istio and Argo Workflows objects", func(t *testing.T) {
		vs := &istionetworkingv1.VirtualService{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop"},
			Spec: istioapinetworkingv1.VirtualService{
				Hosts:    []string{"shop.example.com"},
				Gateways: []string{"knative-serving/knative-ingress-gateway"},
				Http: []*istioapinetworkingv1.HTTPRoute{{
					Route: []*istioapinetworkingv1.HTTPRouteDestination{{
						Destination: &istioapinetworkingv1.Destination{Host: "knative-local-gateway.istio-system.svc.cluster.local"},
					}},
				}},
			},
		}
		wf := &argov1alpha1.Workflow{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "build-1"},
			Spec: argov1alpha1.WorkflowSpec{
				Entrypoint: "main",
				Templates:  []argov1alpha1.Template{{Name: "main", Container: &corev1.Container{Image: "alpine:3"}}},
			},
		}
		for _, obj := range []client.Object{vs, wf} {
			if err := c.Create(ctx, obj); err != nil {
				t.Fatalf("create %T: %v", obj, err)
			}
		}
		gotVS := &istionetworkingv1.VirtualService{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(vs), gotVS); err != nil || gotVS.Spec.Http[0].Route[0].Destination.Host != vs.Spec.Http[0].Route[0].Destination.Host {
			t.Errorf("VirtualService read back: %v %+v", err, gotVS.Spec.GetHttp())
		}
		gotWF := &argov1alpha1.Workflow{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(wf), gotWF); err != nil || gotWF.Spec.Entrypoint != "main" {
			t.Errorf("Workflow read back: %v %+v", err, gotWF.Spec)
		}
	})
}
