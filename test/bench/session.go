package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	istiov1 "istio.io/client-go/pkg/apis/networking/v1"
	toolscache "k8s.io/client-go/tools/cache"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/test/stack"
	"knapp.dev/knapp/test/testenv"
)

// session is one fresh control plane with the benchmark's client, write
// ledger and watch. Every N, and the baseline, get their own, so no run
// inherits another's objects.
type session struct {
	env       *testenv.Env
	c         client.Client // counts the benchmark's writes in led
	led       *ledger
	metrics   *apiMetrics
	tr        *tracker
	stopWatch context.CancelFunc
	// hooks proxies the control plane's webhook calls to knapp.
	hooks *stack.KnappWebhooks
}

// startSession starts kube-apiserver and etcd with the CRDs, Knative's
// admission and knapp's webhook configurations (config/webhook), as make
// dev does, and the benchmark's watch of Apps, Knative Services and
// VirtualServices.
func startSession(ctx context.Context, root string) (*session, error) {
	env, err := testenv.Start(ctx, testenv.WithWebhookConfigs(filepath.Join(root, "config", "webhook")))
	if err != nil {
		return nil, err
	}
	s := &session{env: env, led: &ledger{}, tr: newTracker()}
	s.c = countingClient{Client: env.Client, l: s.led}
	if s.metrics, err = newAPIMetrics(env.Config); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	if err := s.startWatch(ctx); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	return s, nil
}

func (s *session) startWatch(ctx context.Context) error {
	c, err := cache.New(s.env.Config, cache.Options{Scheme: s.env.Scheme, DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return err
	}
	handlers := map[client.Object]toolscache.ResourceEventHandlerFuncs{
		&v1alpha1.App{}: {
			AddFunc:    func(o any) { s.tr.appSeen(o.(*v1alpha1.App), true) },
			UpdateFunc: func(_, o any) { s.tr.appSeen(o.(*v1alpha1.App), false) },
		},
		&servingv1.Service{}: {
			AddFunc: func(o any) { s.tr.serviceSeen(o.(*servingv1.Service)) },
		},
		&istiov1.VirtualService{}: {
			AddFunc:    func(o any) { s.tr.virtualServiceSeen(o.(*istiov1.VirtualService)) },
			UpdateFunc: func(_, o any) { s.tr.virtualServiceSeen(o.(*istiov1.VirtualService)) },
		},
	}
	for obj, h := range handlers {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		if _, err := inf.AddEventHandler(h); err != nil {
			return err
		}
	}
	watchCtx, cancel := context.WithCancel(context.Background())
	s.stopWatch = cancel
	go func() { _ = c.Start(watchCtx) }()
	syncCtx, cancelSync := context.WithTimeout(ctx, time.Minute)
	defer cancelSync()
	if !c.WaitForCacheSync(syncCtx) {
		return fmt.Errorf("the benchmark's watch did not sync")
	}
	return nil
}

func (s *session) stop() error {
	if s.stopWatch != nil {
		s.stopWatch()
	}
	return s.env.Stop()
}

// writeMark is where a phase's write count starts.
type writeMark struct {
	api, refused, own writeCounts
}

func (s *session) mark(ctx context.Context) (writeMark, error) {
	api, refused, err := s.metrics.writes(ctx)
	return writeMark{api: api, refused: refused, own: s.led.snapshot()}, err
}

// Writes are the API writes of one phase, by "resource VERB".
type Writes struct {
	// Bench are the benchmark's own (App, Revision, pod, namespace
	// creates; the status it writes as Knative would; App edits).
	Bench map[string]float64 `json:"bench"`
	// Knapp are the apiserver's counts minus the benchmark's, to the kinds
	// knapp may write: with no other controller running, knapp's.
	Knapp      map[string]float64 `json:"knapp"`
	KnappTotal float64            `json:"knapp_total"`
	// ControlPlane are the rest: the apiserver's own housekeeping.
	ControlPlane      map[string]float64 `json:"control_plane"`
	ControlPlaneTotal float64            `json:"control_plane_total"`
	// Refused are the writes of anyone (the benchmark's too) that the
	// apiserver answered with an error (conflicts, timeouts, refusals);
	// they are counted above as well.
	Refused map[string]float64 `json:"refused,omitempty"`
}

func (s *session) writesSince(ctx context.Context, m writeMark) (Writes, error) {
	now, err := s.mark(ctx)
	if err != nil {
		return Writes{}, err
	}
	own := now.own.minus(m.own)
	knapp, cp := now.api.minus(m.api).minus(own).split()
	return Writes{
		Bench: own.byResource(),
		Knapp: knapp.byResource(), KnappTotal: knapp.total(),
		ControlPlane: cp.byResource(), ControlPlaneTotal: cp.total(),
		Refused: now.refused.minus(m.refused).byResource(),
	}, nil
}

// quiet is how long knapp's writes must not change for a phase to end:
// events are sent asynchronously, and client-go's event recorder retries a
// series PATCH that raced the first event's POST after 10 s (+-25%).
const quiet = 13 * time.Second

// waitQuiet waits until knapp's writes since m have not changed for quiet,
// at most maxWait.
func (s *session) waitQuiet(ctx context.Context, m writeMark, maxWait time.Duration) error {
	deadline := time.Now().Add(maxWait)
	last, since := -1.0, time.Now()
	for time.Now().Before(deadline) {
		w, err := s.writesSince(ctx, m)
		if err != nil {
			return err
		}
		if w.KnappTotal != last {
			last, since = w.KnappTotal, time.Now()
		} else if time.Since(since) >= quiet {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil // still writing: the phase's figures will say so
}
