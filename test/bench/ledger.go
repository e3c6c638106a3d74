package main

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// ledger counts the benchmark's own API writes with the labels the
// apiserver's apiserver_request_total gives them, so that they can be
// subtracted from its counts and what remains is knapp's (and the
// apiserver's own housekeeping). A call is counted when it is made, failed
// or not: the apiserver counts refused requests too.
type ledger struct {
	mu     sync.Mutex
	counts writeCounts
}

func (l *ledger) add(c client.Client, obj client.Object, sub, verb string) {
	k := writeKey{Resource: "?", Subresource: sub, Verb: verb}
	if gvk, err := apiutil.GVKForObject(obj, c.Scheme()); err == nil {
		k.Group = gvk.Group
		if m, err := c.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
			k.Resource = m.Resource.Resource
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = writeCounts{}
	}
	l.counts[k]++
}

func (l *ledger) snapshot() writeCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts.clone()
}

// countingClient is the benchmark's client: every write goes in the ledger.
type countingClient struct {
	client.Client
	l *ledger
}

func patchVerb(p client.Patch) string {
	if p.Type() == types.ApplyPatchType {
		return "APPLY"
	}
	return "PATCH"
}

func (c countingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.l.add(c.Client, obj, "", "POST")
	return c.Client.Create(ctx, obj, opts...)
}

func (c countingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	c.l.add(c.Client, obj, "", "PUT")
	return c.Client.Update(ctx, obj, opts...)
}

func (c countingClient) Patch(ctx context.Context, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
	c.l.add(c.Client, obj, "", patchVerb(p))
	return c.Client.Patch(ctx, obj, p, opts...)
}

func (c countingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.l.add(c.Client, obj, "", "DELETE")
	return c.Client.Delete(ctx, obj, opts...)
}

func (c countingClient) Status() client.SubResourceWriter {
	return countingStatus{SubResourceWriter: c.Client.Status(), c: c}
}

// countingStatus counts writes to the status subresource.
type countingStatus struct {
	client.SubResourceWriter
	c countingClient
}

func (s countingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	s.c.l.add(s.c.Client, obj, "status", "PUT")
	return s.SubResourceWriter.Update(ctx, obj, opts...)
}

func (s countingStatus) Patch(ctx context.Context, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
	s.c.l.add(s.c.Client, obj, "status", patchVerb(p))
	return s.SubResourceWriter.Patch(ctx, obj, p, opts...)
}
