package progressive

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
	"knapp.dev/knapp/test/promtest"
)

// rolloutTimeout bounds a whole rollout: a few 10s intervals, at twice the
// load of a busy machine, and Prometheus' scrape lag.
const rolloutTimeout = 4 * time.Minute

// interval is the shortest analysis interval knapp admits.
var interval = metav1.Duration{Duration: v1alpha1.MinAnalysisInterval}

// scenario is one App in a namespace of its own, with a fake queue-proxy
// per revision that Prometheus scrapes.
type scenario struct {
	t   testing.TB
	ns  *corev1.Namespace
	key client.ObjectKey
	// proxies by image.
	proxies map[string]*promtest.QueueProxy
}

// newScenario creates the App running image 1 with release, and waits
// until its first revision is promoted (nothing to compare it with).
func newScenario(t testing.TB, release *v1alpha1.Release) *scenario {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "progressive-"}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), ns) })
	actAsKnative(t, ns.Name)
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "shop"},
		Spec: v1alpha1.AppSpec{Image: image(1), Domain: &v1alpha1.Domain{Name: ns.Name + "-shop"},
			Release: release},
	}
	s := &scenario{t: t, ns: ns, key: client.ObjectKeyFromObject(app), proxies: map[string]*promtest.QueueProxy{}}
	s.proxy(1)
	if err := k8s.Create(ctx, app); err != nil {
		t.Fatalf("creating App: %v", err)
	}
	s.waitRollout("the first revision promoted", func(st *v1alpha1.RolloutStatus) error {
		return phaseIs(st, s.revision(1), v1alpha1.RolloutPromoted)
	})
	return s
}

func image(n int) string { return fmt.Sprintf("registry.example.com/shop:%d.0.0", n) }

// revision is the name knapp gives the App's revision of image n: its
// own builder's, as the App stands with that image.
func (s *scenario) revision(n int) string {
	s.t.Helper()
	app := &v1alpha1.App{}
	if err := k8s.Get(context.Background(), s.key, app); err != nil {
		// Not created yet: the App newScenario is about to create.
		app = &v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Namespace: s.key.Namespace, Name: s.key.Name},
			Spec: v1alpha1.AppSpec{Domain: &v1alpha1.Domain{Name: s.ns.Name + "-shop"}}}
	}
	app.Spec.Image = image(n)
	env, err := platform.Default().EnvironmentFor(s.ns.Name, s.ns.Labels)
	if err != nil {
		s.t.Fatal(err)
	}
	tmpl, err := resources.MakeRevisionTemplate(app, env, "")
	if err != nil {
		s.t.Fatal(err)
	}
	return tmpl.Name
}

// proxy is the fake queue-proxy of image n's revision, scraped by
// Prometheus from now on.
func (s *scenario) proxy(n int) *promtest.QueueProxy {
	s.t.Helper()
	if q, ok := s.proxies[image(n)]; ok {
		return q
	}
	q, err := promtest.NewQueueProxy(promtest.Revision{Namespace: s.ns.Name, Service: s.key.Name, Name: s.revision(n)})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = q.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := prom.AddTargets(ctx, q.Target()); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = prom.RemoveTargets(q.Target()) })
	s.proxies[image(n)] = q
	return q
}

// load sends rps requests a second to image n's revision, answering
// status after latency, until the test ends.
func (s *scenario) load(n int, rps float64, status int, latency time.Duration) {
	l := s.proxy(n).Load(rps, status, latency)
	s.t.Cleanup(func() { _, _ = l.Stop() })
}

// release changes the App's image to n (and more, with edit).
func (s *scenario) release(n int, edit func(*v1alpha1.App)) {
	s.t.Helper()
	s.update(func(a *v1alpha1.App) {
		a.Spec.Image = image(n)
		if edit != nil {
			edit(a)
		}
	})
}

func (s *scenario) update(edit func(*v1alpha1.App)) {
	s.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		app := &v1alpha1.App{}
		if err := k8s.Get(context.Background(), s.key, app); err != nil {
			return err
		}
		edit(app)
		return k8s.Update(context.Background(), app)
	})
	if err != nil {
		s.t.Fatalf("updating App: %v", err)
	}
}

// app reads the App.
func (s *scenario) app() *v1alpha1.App {
	s.t.Helper()
	app := &v1alpha1.App{}
	if err := k8s.Get(context.Background(), s.key, app); err != nil {
		s.t.Fatal(err)
	}
	return app
}

// waitRollout polls until check accepts status.rollout, then returns the
// App. Each rollout state seen on the way is passed to seen, if set.
func (s *scenario) waitRollout(what string, check func(*v1alpha1.RolloutStatus) error) *v1alpha1.App {
	s.t.Helper()
	return s.waitApp(what, func(a *v1alpha1.App) error {
		if a.Status.Rollout == nil {
			return fmt.Errorf("no status.rollout yet; conditions %+v", a.Status.Conditions)
		}
		return check(a.Status.Rollout)
	})
}

func (s *scenario) waitApp(what string, check func(*v1alpha1.App) error) *v1alpha1.App {
	s.t.Helper()
	var last error
	app := &v1alpha1.App{}
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, rolloutTimeout, true, func(ctx context.Context) (bool, error) {
		if err := k8s.Get(ctx, s.key, app); err != nil {
			last = err
			return false, nil
		}
		last = check(app)
		return last == nil, nil
	})
	if err != nil {
		s.t.Fatalf("%s: not within %s: %v", what, rolloutTimeout, last)
	}
	return app
}

// traffic is the Knative Service's split as knapp wrote it: percent by
// revision name, "tag:<tag>" entries for the tags.
func (s *scenario) traffic() map[string]int64 {
	s.t.Helper()
	ksvc := &servingv1.Service{}
	if err := k8s.Get(context.Background(), s.key, ksvc); err != nil {
		s.t.Fatal(err)
	}
	out := map[string]int64{}
	for _, tt := range ksvc.Spec.Traffic {
		if tt.Percent != nil {
			out[tt.RevisionName] += *tt.Percent
		}
		if tt.Tag != "" {
			out["tag:"+tt.Tag] = 1
		}
	}
	return out
}

func phaseIs(st *v1alpha1.RolloutStatus, revision string, phase v1alpha1.RolloutPhase) error {
	if st.Revision != revision || st.Phase != phase {
		return fmt.Errorf("rollout of %s is %s at step %d (%s), want %s %s", st.Revision, st.Phase, st.Step, st.Message, revision, phase)
	}
	return nil
}

// conditionIs checks the App's condition.
func conditionIs(a *v1alpha1.App, typ string, status metav1.ConditionStatus, reason string) error {
	c := a.Status.GetCondition(typ)
	if c == nil || c.Status != status || c.Reason != reason {
		return fmt.Errorf("%s is %+v, want %s %s", typ, c, status, reason)
	}
	return nil
}

// eventsSay reports whether an event about the App says all of words.
func eventsSay(key client.ObjectKey, eventType string, words ...string) error {
	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(key.Namespace)); err != nil {
		return err
	}
	for _, e := range list.Items {
		if e.Regarding.Kind != "App" || e.Regarding.Name != key.Name || e.Type != eventType {
			continue
		}
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(e.Note, w)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("no %s event of App %s says %q", eventType, key, words)
}
