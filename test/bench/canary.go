package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources/names"
	"knapp.dev/knapp/test/testenv"
)

// canaryHeader is the header the sampled Apps' canaries match.
const canaryHeader = "x-canary"

// CanaryResult is the latency from an edit of release.canary.match to
// knapp's VirtualService carrying it.
type CanaryResult struct {
	Sample int `json:"sample"`
	// Latency is from the edit call's return to the watch seeing the
	// VirtualService with the new match; FromCall from the call's start.
	Latency  Dist `json:"latency"`
	FromCall Dist `json:"from_call"`
	Timeouts int  `json:"timeouts"`
	// SetupWrites are those of giving the sample their Revision, Knative
	// status and canary; EditWrites those of the edits.
	SetupWrites Writes `json:"setup_writes"`
	EditWrites  Writes `json:"edit_writes"`
}

// canaryPhase gives a sample of the Apps a header canary (which takes a
// VirtualService), then edits each one's match value, one App at a time so
// that each edit's latency is knapp's answer and not a queue.
func (s *session) canaryPhase(ctx context.Context, p plan, o *options) (*CanaryResult, error) {
	sample := pick(p.apps, o.Canary)
	r := &CanaryResult{Sample: len(sample)}
	m, err := s.mark(ctx)
	if err != nil {
		return r, err
	}
	seen := make([]<-chan time.Time, len(sample))
	errs := forEach(len(sample), o.Concurrency, func(i int) error {
		key := client.ObjectKeyFromObject(sample[i])
		if err := s.actAsKnative(ctx, key); err != nil {
			return err
		}
		var err error
		seen[i], err = s.startCanary(ctx, key)
		return err
	})
	if len(errs) > 0 {
		return r, errors.Join(errs...)
	}
	for i, ch := range seen {
		select {
		case <-ch:
		case <-time.After(o.Timeout):
			return r, fmt.Errorf("no VirtualService for App %s within %s", client.ObjectKeyFromObject(sample[i]), o.Timeout)
		}
	}
	if err := s.waitQuiet(ctx, m, 2*time.Minute); err != nil {
		return r, err
	}
	if r.SetupWrites, err = s.writesSince(ctx, m); err != nil {
		return r, err
	}

	if m, err = s.mark(ctx); err != nil {
		return r, err
	}
	var lat, fromCall []time.Duration
	for _, app := range sample {
		l, c, err := s.editMatch(ctx, client.ObjectKeyFromObject(app), "v1")
		if err != nil {
			return r, err
		}
		if c < 0 {
			r.Timeouts++
			continue
		}
		lat, fromCall = append(lat, l), append(fromCall, c)
	}
	r.Latency, r.FromCall = distOf(lat), distOf(fromCall)
	if err := s.waitQuiet(ctx, m, 2*time.Minute); err != nil {
		return r, err
	}
	r.EditWrites, err = s.writesSince(ctx, m)
	return r, err
}

// pick is n of apps spread evenly over them (so over the namespaces).
func pick(apps []*v1alpha1.App, n int) []*v1alpha1.App {
	n = min(n, len(apps))
	out := make([]*v1alpha1.App, 0, n)
	for i := range n {
		out = append(out, apps[i*len(apps)/n])
	}
	return out
}

// actAsKnative does for the App's Knative Service what Knative's
// controllers would (and test/integration's actAsKnative does): create the
// template's Revision and report the Service ready at its URL. Both are the
// benchmark's writes.
func (s *session) actAsKnative(ctx context.Context, key types.NamespacedName) error {
	ksvc := &servingv1.Service{}
	if err := s.c.Get(ctx, key, ksvc); err != nil {
		return err
	}
	rev := testenv.RevisionOf(ksvc)
	if err := s.c.Create(ctx, rev); err != nil {
		return fmt.Errorf("creating Revision %s: %w", rev.Name, err)
	}
	before := ksvc.DeepCopy()
	now := apis.VolatileTime{Inner: metav1.Now()}
	ksvc.Status.ObservedGeneration = ksvc.Generation
	ksvc.Status.URL = apis.HTTP(ksvc.Annotations[v1alpha1.AnnotationHost] + ".sls-local.knapp.example.com")
	ksvc.Status.LatestCreatedRevisionName = rev.Name
	ksvc.Status.LatestReadyRevisionName = rev.Name
	ksvc.Status.Traffic = []servingv1.TrafficTarget{{RevisionName: rev.Name, LatestRevision: ptr.To(true), Percent: ptr.To[int64](100)}}
	ksvc.Status.Conditions = duckv1.Conditions{
		{Type: apis.ConditionReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: servingv1.ServiceConditionRoutesReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	if err := s.c.Status().Patch(ctx, ksvc, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("writing the status of Knative Service %s: %w", key, err)
	}
	return nil
}

// startCanary releases image 2.0.0 as a canary that takes the requests with
// x-canary: v0, the Revision made by actAsKnative stable. A merge patch: no
// conflict with knapp's status writes.
func (s *session) startCanary(ctx context.Context, key types.NamespacedName) (<-chan time.Time, error) {
	app := &v1alpha1.App{}
	if err := s.c.Get(ctx, key, app); err != nil {
		return nil, err
	}
	stable := &servingv1.Service{}
	if err := s.c.Get(ctx, key, stable); err != nil {
		return nil, err
	}
	before := app.DeepCopy()
	app.Spec.Image = strings.Replace(app.Spec.Image, ":1.0.0", ":2.0.0", 1)
	app.Spec.Release = &v1alpha1.Release{Stable: stable.Spec.Template.Name, Canary: &v1alpha1.Canary{
		Revision: v1alpha1.CanaryLatest,
		Match:    []v1alpha1.MatchRule{{Headers: map[string]v1alpha1.StringMatch{canaryHeader: {Exact: ptr.To("v0")}}}},
	}}
	ch := s.tr.expectMatch(vsKey(app), "v0")
	if err := s.c.Patch(ctx, app, client.MergeFrom(before)); err != nil {
		return nil, fmt.Errorf("starting the canary of App %s: %w", key, err)
	}
	return ch, nil
}

// editMatch sets the canary's header value and returns how long knapp took
// to carry it into the VirtualService, from the call's return and from its
// start; -1 when it did not within 30 s.
func (s *session) editMatch(ctx context.Context, key types.NamespacedName, value string) (time.Duration, time.Duration, error) {
	app := &v1alpha1.App{}
	if err := s.c.Get(ctx, key, app); err != nil {
		return 0, 0, err
	}
	before := app.DeepCopy()
	app.Spec.Release.Canary.Match[0].Headers[canaryHeader] = v1alpha1.StringMatch{Exact: ptr.To(value)}
	ch := s.tr.expectMatch(vsKey(app), value)
	start := time.Now()
	if err := s.c.Patch(ctx, app, client.MergeFrom(before)); err != nil {
		return 0, 0, fmt.Errorf("editing the canary match of App %s: %w", key, err)
	}
	returned := time.Now()
	select {
	case seen := <-ch:
		// The watch may deliver the VirtualService a hair before the
		// call's own response is read.
		return max(0, seen.Sub(returned)), seen.Sub(start), nil
	case <-time.After(30 * time.Second):
		return -1, -1, nil
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
}

func vsKey(app *v1alpha1.App) types.NamespacedName {
	return types.NamespacedName{Namespace: app.Namespace, Name: names.VirtualService(app)}
}
