package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/webhooks/podlogs"
)

// PodResult is pod admission under a stream of pod creates: the pods of
// Apps with spec.logs (knapp.dev/logs=true: the apiserver calls knapp's pod
// webhook, which looks the App up in knapp's cache and injects the log
// volume) and, interleaved with them, as many pods without those labels
// (the webhook's objectSelector skips them): the reference.
type PodResult struct {
	Pods        int  `json:"pods_each"`
	Concurrency int  `json:"concurrency"`
	Webhook     Dist `json:"webhook"`
	NoWebhook   Dist `json:"no_webhook"`
	// NotInjected counts webhook pods that came back without the log volume.
	NotInjected int `json:"not_injected"`
	Errors      int `json:"errors"`
}

func (s *session) podPhase(ctx context.Context, apps []*v1alpha1.App, o *options) (*PodResult, error) {
	r := &PodResult{Pods: o.Pods, Concurrency: o.PodConcurrency}
	if len(apps) == 0 || o.Pods == 0 {
		return r, nil
	}
	var (
		mu            sync.Mutex
		with, without []time.Duration
	)
	errs := forEach(2*o.Pods, o.PodConcurrency, func(i int) error {
		app, logs := apps[(i/2)%len(apps)], i%2 == 0
		pod := revisionPod(app, logs)
		start := time.Now()
		err := s.c.Create(ctx, pod)
		d := time.Since(start)
		if err != nil {
			return fmt.Errorf("creating a pod of App %s/%s: %w", app.Namespace, app.Name, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !logs {
			without = append(without, d)
			return nil
		}
		with = append(with, d)
		if pod.Annotations[podlogs.AnnotationHostPath] == "" {
			r.NotInjected++
		}
		return nil
	})
	r.Webhook, r.NoWebhook, r.Errors = distOf(with), distOf(without), len(errs)
	if len(errs) > 0 {
		return r, fmt.Errorf("%d pod create(s) failed, first: %w", len(errs), errs[0])
	}
	if r.NotInjected > 0 {
		return r, errors.New("the pod webhook did not inject the log volume into every pod of an App with logs")
	}
	return r, nil
}

// revisionPod is shaped like a pod of one of the App's Knative revisions
// (user-container and queue-proxy); with logs, it carries the labels knapp
// puts on the revision template of an App with spec.logs. Pods are never
// scheduled here: only their admission is measured.
func revisionPod(app *v1alpha1.App, logs bool) *corev1.Pod {
	labels := map[string]string{"serving.knative.dev/service": app.Name}
	if logs {
		labels[v1alpha1.LabelApp] = app.Name
		labels[v1alpha1.LabelLogs] = "true"
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: app.Name + "-deployment-", Namespace: app.Namespace, Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{
				Name:  "user-container",
				Image: strings.Replace(app.Spec.Image, ":1.0.0", "@sha256:"+strings.Repeat("a", 64), 1),
				Ports: []corev1.ContainerPort{{Name: "user-port", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				Env:   []corev1.EnvVar{{Name: "PORT", Value: "8080"}},
			},
			{
				Name:  "queue-proxy",
				Image: "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + strings.Repeat("b", 64),
				Ports: []corev1.ContainerPort{{Name: "http-queueadm", ContainerPort: 8022, Protocol: corev1.ProtocolTCP}},
			},
		}},
	}
}
