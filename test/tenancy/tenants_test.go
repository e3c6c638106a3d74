package tenancy

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// tenantRoles are what a tenant team is bound to in its namespace: the
// roles that aggregate into Kubernetes' edit (and view). envtest runs no
// aggregation controller, so they are bound one by one.
var tenantRoles = []string{
	"knapp-app-edit", "knapp-app-view",
	"knative-serving-namespaced-edit", "knative-serving-namespaced-view",
	"argo-aggregate-to-edit", "argo-aggregate-to-view",
	// Kubernetes' own part of edit: pods, Secrets, ConfigMaps, Deployments.
	"system:aggregate-to-edit",
}

// tenant is a team: a user bound to tenantRoles in its own namespace only.
type tenant struct {
	name, namespace string
	client          client.Client
}

// newTenant makes a namespace for a team and its user.
func newTenant(t *testing.T, name string) *tenant {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-"}}
	if err := admin.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Delete(context.Background(), ns) })
	user := name + "@" + ns.Name
	for _, role := range tenantRoles {
		if err := bind(ctx, role, rbacv1.Subject{Kind: rbacv1.UserKind, Name: user}, ns.Name); err != nil {
			t.Fatal(err)
		}
	}
	// Every team here builds: knapp may read Secrets in its namespace as the
	// chart lets it in builds.namespaces.
	if err := grantBuildSecrets(ctx, ns.Name); err != nil {
		t.Fatal(err)
	}
	cfg, err := userConfig(user, "tenants")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return &tenant{name: user, namespace: ns.Name, client: c}
}

// labelNamespace sets labels on a tenant's namespace, as the cluster admin
// who sets a team's namespaces up does (tenants may not).
func labelNamespace(t *testing.T, team *tenant, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{}
	ctx := context.Background()
	if err := admin.Get(ctx, client.ObjectKey{Name: team.namespace}, ns); err != nil {
		t.Fatal(err)
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	for k, v := range labels {
		ns.Labels[k] = v
	}
	if err := admin.Update(ctx, ns); err != nil {
		t.Fatal(err)
	}
}

// victim is another team's App holding a host, and what an attack must
// never change: its spec, its host claim and URL, the image it runs, and
// the platform keys on its Knative Service.
type victim struct {
	app  client.ObjectKey
	host string
	seen victimState
}

type victimState struct {
	Spec        v1alpha1.AppSpec
	Domain      *v1alpha1.DomainStatus
	URL         string
	Labels      map[string]string
	Annotations map[string]string
	Image       string
}

// newVictim creates an App of team (as the team) that asks for host and
// waits until it holds it.
func newVictim(t *testing.T, team *tenant, name, host string) *victim {
	t.Helper()
	a := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: team.namespace, Name: name},
		Spec: v1alpha1.AppSpec{
			Image:  "registry.example.com/" + team.namespace + "/" + name + ":1.0.0",
			Domain: &v1alpha1.Domain{Name: host},
		},
	}
	if err := team.client.Create(context.Background(), a); err != nil {
		t.Fatalf("%s creating its App: %v", team.name, err)
	}
	v := &victim{app: client.ObjectKeyFromObject(a), host: host}
	eventually(t, "App "+v.app.String()+" holding "+host, func(ctx context.Context) error {
		s, err := v.state(ctx)
		if err != nil {
			return err
		}
		if s.Domain == nil || s.Domain.Host == "" || s.Annotations[v1alpha1.AnnotationHost] != host {
			return fmt.Errorf("status.domain %+v, Service annotations %v", s.Domain, s.Annotations)
		}
		v.seen = s
		return nil
	})
	return v
}

func (v *victim) state(ctx context.Context) (victimState, error) {
	a := &v1alpha1.App{}
	if err := admin.Get(ctx, v.app, a); err != nil {
		return victimState{}, err
	}
	ksvc := &servingv1.Service{}
	if err := admin.Get(ctx, v.app, ksvc); err != nil {
		return victimState{}, err
	}
	s := victimState{Spec: a.Spec, Domain: a.Status.Domain, URL: a.Status.URL, Labels: ksvc.Labels, Annotations: ksvc.Annotations}
	if cs := ksvc.Spec.Template.Spec.Containers; len(cs) > 0 {
		s.Image = cs[0].Image
	}
	return s, nil
}

// assertUnchanged: after an attack, the victim's App, claim, URL, image
// and Service keys are as they were (read a moment later, so a change
// knapp would make in reaction has time to show).
func (v *victim) assertUnchanged(t *testing.T, after string) {
	t.Helper()
	time.Sleep(200 * time.Millisecond)
	now, err := v.state(context.Background())
	if err != nil {
		t.Fatalf("after %s: reading the victim: %v", after, err)
	}
	if !reflect.DeepEqual(now, v.seen) {
		t.Errorf("after %s the victim %s changed:\n was %+v\n now %+v", after, v.app, v.seen, now)
	}
}

// assertRefused: err is the apiserver's refusal of kind (403 Forbidden or
// 422 Invalid) and names every fragment of want.
func assertRefused(t *testing.T, action string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: admitted", action)
		return
	}
	if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
		t.Errorf("%s: want 403 Forbidden or 422 Invalid, got %v", action, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: the refusal does not say %q:\n%v", action, w, err)
		}
	}
}

const timeout = 60 * time.Second

func eventually(t *testing.T, what string, check func(ctx context.Context) error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		last = check(ctx)
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s: %v", what, timeout, last)
	}
}
