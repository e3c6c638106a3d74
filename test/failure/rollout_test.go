package failure

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// TestKillDuringRollout creates N Apps (every fourth with spec.build) and
// edits their images while knapp is SIGKILLed every 1–3 s and restarted:
// a crash at any point of a reconcile (between a child's write and the
// status patch, say). Afterwards every App exists, has converged on its
// last spec, and each build App has exactly the one Workflow of its build
// inputs: a restarted knapp neither loses an App nor builds twice.
func TestKillDuringRollout(t *testing.T) {
	n := envInt(t, "KNAPP_FAILURE_APPS", 60)
	kills := envInt(t, "KNAPP_FAILURE_KILLS", 4)
	seed := envSeed(t)
	t.Logf("rollout of %d Apps under %d SIGKILLs; replay with KNAPP_FAILURE_SEED=%d", n, kills, seed)

	// The kill schedule is drawn up front, so the seed replays it: knapp
	// runs 1–3 s, then is down 0–0.5 s.
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	up, down := make([]time.Duration, kills), make([]time.Duration, kills)
	var window time.Duration
	for i := range kills {
		up[i] = time.Second + randDuration(rng, 2*time.Second)
		down[i] = randDuration(rng, 500*time.Millisecond)
		window += up[i] + down[i]
	}
	ns := newNamespace(t)
	r := &rollout{ns: ns, last: map[string]string{}}

	k := startKnapp(t, "knapp-0")
	procs := []*knapp{k}
	// The first kill is to hit a knapp at work, not one still starting.
	k.waitForLog(t, time.Minute, "Starting workers")
	ctx, stopEditing := context.WithCancel(context.Background())
	defer stopEditing()
	var creating, editing sync.WaitGroup
	creating.Go(func() { r.create(ctx, t, n, window) })
	editing.Go(func() { r.edit(ctx, t, rand.New(rand.NewPCG(uint64(seed), 1))) })

	for i := range kills {
		time.Sleep(up[i])
		k.alive(t)
		r.down.Store(true)
		k.Kill()
		t.Logf("SIGKILL %d after %s up (%d Apps created, %d edits)", i+1, up[i].Round(time.Millisecond), r.count(), r.edits.Load())
		time.Sleep(down[i])
		k = startKnapp(t, fmt.Sprintf("knapp-%d", i+1))
		procs = append(procs, k)
		r.down.Store(false)
	}
	creating.Wait()
	stopEditing()
	editing.Wait()
	if t.Failed() {
		t.FailNow()
	}
	settled := time.Now()
	t.Logf("%d restarts survived; %d Apps created (%d while knapp was down), %d image edits",
		kills, r.count(), r.createdWhileDown.Load(), r.edits.Load())

	timeout := time.Minute + time.Duration(n)*500*time.Millisecond
	eventually(t, timeout, "every App converged", func(ctx context.Context) error { return r.check(ctx, n) })
	t.Logf("all %d Apps converged %s after the last write", n, time.Since(settled).Round(100*time.Millisecond))
	k.alive(t)
	r.checkBuilds(t)
	t.Logf("what each knapp did before its SIGKILL (the last one: until now):\n%s", workSummary(procs...))
}

// rollout is what the test wrote: the Apps and their last images.
type rollout struct {
	ns string
	// down is set while knapp is killed.
	down                    atomic.Bool
	createdWhileDown, edits atomic.Int64

	mu    sync.Mutex
	names []string          // created, in order
	last  map[string]string // App → its last image
	build map[string]bool
}

func (r *rollout) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.names)
}

func image(ns, name string, version int) string {
	return fmt.Sprintf("registry.example.com/%s/%s:1.0.%d", ns, name, version)
}

// create creates n Apps spread evenly over window, so knapp dies among
// them.
func (r *rollout) create(ctx context.Context, t *testing.T, n int, window time.Duration) {
	r.build = map[string]bool{}
	start := time.Now()
	for i := range n {
		name := fmt.Sprintf("app-%03d", i)
		a := newApp(r.ns, name, image(r.ns, name, 0))
		if i%4 == 0 {
			withBuild(a)
		}
		if err := k8s.Create(ctx, a); err != nil {
			t.Errorf("creating App %s: %v", name, err)
			return
		}
		if r.down.Load() {
			r.createdWhileDown.Add(1)
		}
		r.mu.Lock()
		r.names = append(r.names, name)
		r.last[name] = a.Spec.Image
		r.build[name] = a.Spec.Build != nil
		r.mu.Unlock()
		time.Sleep(time.Until(start.Add(window * time.Duration(i+1) / time.Duration(n))))
	}
}

// edit changes the image of a random App already created every 50–250 ms,
// until ctx ends.
func (r *rollout) edit(ctx context.Context, t *testing.T, rng *rand.Rand) {
	for version := 1; ; version++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(50*time.Millisecond + randDuration(rng, 200*time.Millisecond)):
		}
		r.mu.Lock()
		if len(r.names) == 0 {
			r.mu.Unlock()
			continue
		}
		name := r.names[rng.IntN(len(r.names))]
		r.mu.Unlock()
		img := image(r.ns, name, version)
		key := client.ObjectKey{Namespace: r.ns, Name: name}
		if err := setImage(ctx, key, img); err != nil {
			if ctx.Err() == nil {
				t.Errorf("editing App %s: %v", name, err)
				return
			}
			// The edit ended with ctx: the apiserver may have applied it
			// before the answer was lost, so the App's own spec says which
			// image was set last.
			got := &v1alpha1.App{}
			if err := k8s.Get(context.Background(), key, got); err != nil {
				t.Errorf("reading App %s after the last edit: %v", name, err)
				return
			}
			r.mu.Lock()
			r.last[name] = got.Spec.Image
			r.mu.Unlock()
			return
		}
		r.mu.Lock()
		r.last[name] = img
		r.mu.Unlock()
		r.edits.Add(1)
	}
}

// check says why not every App has converged on its last image.
func (r *rollout) check(ctx context.Context, n int) error {
	ns := &corev1.Namespace{}
	apps := &v1alpha1.AppList{}
	svcs := &servingv1.ServiceList{}
	if err := errors.Join(
		k8s.Get(ctx, client.ObjectKey{Name: r.ns}, ns),
		k8s.List(ctx, apps, client.InNamespace(r.ns)),
		k8s.List(ctx, svcs, client.InNamespace(r.ns)),
	); err != nil {
		return err
	}
	if len(apps.Items) != n {
		return fmt.Errorf("%d Apps exist, %d were created", len(apps.Items), n)
	}
	byName := map[string]*servingv1.Service{}
	for i := range svcs.Items {
		byName[svcs.Items[i].Name] = &svcs.Items[i]
	}
	var pending []string
	var first error
	for i := range apps.Items {
		a := &apps.Items[i]
		err := converged(a, ns, byName[a.Name])
		if err == nil && a.Spec.Image != r.last[a.Name] {
			err = fmt.Errorf("App %s runs %s, the last edit set %s", a.Name, a.Spec.Image, r.last[a.Name])
		}
		if err != nil {
			pending = append(pending, a.Name)
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d Apps not converged (%s); first: %w", len(pending), strings.Join(pending[:min(len(pending), 10)], " "), first)
	}
	return nil
}

// checkBuilds: each build App has exactly one Workflow, the one its build
// inputs name, owned by it; the other Apps have none.
func (r *rollout) checkBuilds(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	wfs := &wfv1.WorkflowList{}
	if err := k8s.List(ctx, wfs, client.InNamespace(r.ns)); err != nil {
		t.Fatal(err)
	}
	byApp := map[string][]wfv1.Workflow{}
	for _, wf := range wfs.Items {
		byApp[wf.Labels[v1alpha1.LabelApp]] = append(byApp[wf.Labels[v1alpha1.LabelApp]], wf)
	}
	builds := 0
	for _, name := range r.names {
		got := byApp[name]
		delete(byApp, name)
		if !r.build[name] {
			if len(got) != 0 {
				t.Errorf("App %s has no spec.build but %d Workflows", name, len(got))
			}
			continue
		}
		builds++
		a := &v1alpha1.App{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: r.ns, Name: name}, a); err != nil {
			t.Fatal(err)
		}
		want := resources.BuildWorkflowName(a, resources.BuildTrigger{Revision: a.Spec.Build.GitRevision(), Source: resources.BuildTriggerSpec})
		if len(got) != 1 || got[0].Name != want || !metav1.IsControlledBy(&got[0], a) {
			t.Errorf("App %s: want exactly its Workflow %s, got %s", name, want, workflowNames(got))
		}
	}
	for app, wfs := range byApp {
		t.Errorf("Workflows of no App of the test (%q): %s", app, workflowNames(wfs))
	}
	t.Logf("%d build Apps, each with exactly one Workflow", builds)
}

func workflowNames(wfs []wfv1.Workflow) string {
	var names []string
	for _, wf := range wfs {
		names = append(names, wf.Name)
	}
	sort.Strings(names)
	return "[" + strings.Join(names, " ") + "]"
}
