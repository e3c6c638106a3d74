package integration

import (
	"context"
	"fmt"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// write is one API write knapp's client made.
type write struct {
	Verb        string // create, update, patch, delete
	Kind        string
	Namespace   string
	Name        string
	SubResource string // "" or status
}

func (w write) String() string {
	s := fmt.Sprintf("%s %s %s/%s", w.Verb, w.Kind, w.Namespace, w.Name)
	if w.SubResource != "" {
		s += " (" + w.SubResource + ")"
	}
	return s
}

// writeLog records every write made through a countingClient.
type writeLog struct {
	mu     sync.Mutex
	writes []write
}

func (l *writeLog) add(c client.Client, verb, sub string, obj client.Object) {
	kind := "?"
	if gvk, err := apiutil.GVKForObject(obj, c.Scheme()); err == nil {
		kind = gvk.Kind
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes = append(l.writes, write{Verb: verb, Kind: kind, Namespace: obj.GetNamespace(), Name: obj.GetName(), SubResource: sub})
}

// inNamespace returns the writes made so far to objects in ns.
func (l *writeLog) inNamespace(ns string) []write {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []write
	for _, w := range l.writes {
		if w.Namespace == ns {
			out = append(out, w)
		}
	}
	return out
}

// all returns every write made so far.
func (l *writeLog) all() []write {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]write(nil), l.writes...)
}

// countingClient is the manager's client with every write logged, so tests
// can assert how many writes a reconcile made.
type countingClient struct {
	client.Client
	log *writeLog
}

func (c countingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.log.add(c.Client, "create", "", obj)
	return c.Client.Create(ctx, obj, opts...)
}

func (c countingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	c.log.add(c.Client, "update", "", obj)
	return c.Client.Update(ctx, obj, opts...)
}

func (c countingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.log.add(c.Client, "patch", "", obj)
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c countingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.log.add(c.Client, "delete", "", obj)
	return c.Client.Delete(ctx, obj, opts...)
}

func (c countingClient) Status() client.SubResourceWriter {
	return countingSubResource{SubResourceWriter: c.Client.Status(), client: c.Client, log: c.log, name: "status"}
}

func (c countingClient) SubResource(name string) client.SubResourceClient {
	return countingSubResourceClient{SubResourceClient: c.Client.SubResource(name),
		countingSubResource: countingSubResource{SubResourceWriter: c.Client.SubResource(name), client: c.Client, log: c.log, name: name}}
}

type countingSubResource struct {
	client.SubResourceWriter
	client client.Client
	log    *writeLog
	name   string
}

func (s countingSubResource) Create(ctx context.Context, obj, sub client.Object, opts ...client.SubResourceCreateOption) error {
	s.log.add(s.client, "create", s.name, obj)
	return s.SubResourceWriter.Create(ctx, obj, sub, opts...)
}

func (s countingSubResource) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	s.log.add(s.client, "update", s.name, obj)
	return s.SubResourceWriter.Update(ctx, obj, opts...)
}

func (s countingSubResource) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	s.log.add(s.client, "patch", s.name, obj)
	return s.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

type countingSubResourceClient struct {
	client.SubResourceClient
	countingSubResource
}

func (s countingSubResourceClient) Create(ctx context.Context, obj, sub client.Object, opts ...client.SubResourceCreateOption) error {
	return s.countingSubResource.Create(ctx, obj, sub, opts...)
}

func (s countingSubResourceClient) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	return s.countingSubResource.Update(ctx, obj, opts...)
}

func (s countingSubResourceClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return s.countingSubResource.Patch(ctx, obj, patch, opts...)
}
