package app

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/apimachinery/pkg/types"

	"knapp.dev/knapp/pkg/hookapi"
)

const (
	// hookSecretTTL is how long a hook token, or the absence of one, is
	// kept. The hook API reads it before the caller is authenticated, so
	// this bounds the apiserver reads anyone can cause to one per Secret
	// per 30 s; a rotated token takes effect within 30 s.
	hookSecretTTL = 30 * time.Second
	// hookSecretErrorTTL is how long a failed read (Forbidden outside the
	// namespaces knapp may read Secrets in, an apiserver in trouble) is
	// kept: long enough that callers cannot turn it into a read per
	// request, short enough that a delivery retried after a blip succeeds.
	hookSecretErrorTTL = 5 * time.Second
	// maxHookSecrets bounds the tokens kept; there is one per hook Secret
	// that an App names and a request named that App.
	maxHookSecrets = 4096
	// hookSecretReadTimeout bounds one apiserver read, which every caller
	// waiting for that Secret shares.
	hookSecretReadTimeout = 10 * time.Second
)

// hookSecretCache keeps the token of hook Secrets, read on demand, for
// hookSecretTTL. It is no informer: knapp lists and watches no Secrets,
// and keeps only the key token of the Secrets Apps' spec.build.hook name.
type hookSecretCache struct {
	// read returns the token, or an error wrapping
	// hookapi.ErrSecretNotFound, which is kept as long; other errors are
	// kept for errTTL.
	read   func(ctx context.Context, key types.NamespacedName) ([]byte, error)
	ttl    time.Duration
	errTTL time.Duration
	max    int
	now    func() time.Time

	// reads collapses concurrent misses of one Secret into one read.
	reads singleflight.Group

	mu      sync.Mutex
	entries map[types.NamespacedName]hookSecretEntry
}

type hookSecretEntry struct {
	token   []byte
	err     error // wraps hookapi.ErrSecretNotFound for a Secret or key that is missing
	expires time.Time
}

func newHookSecretCache(read func(context.Context, types.NamespacedName) ([]byte, error)) *hookSecretCache {
	return &hookSecretCache{
		read:    read,
		ttl:     hookSecretTTL,
		errTTL:  hookSecretErrorTTL,
		max:     maxHookSecrets,
		now:     time.Now,
		entries: map[types.NamespacedName]hookSecretEntry{},
	}
}

// get returns the token of the Secret key, read at most once per ttl.
func (c *hookSecretCache) get(ctx context.Context, key types.NamespacedName) ([]byte, error) {
	e, ok := c.lookup(key)
	if !ok {
		v, _, _ := c.reads.Do(key.String(), func() (any, error) {
			// A read that finished just now filled the entry.
			if e, ok := c.lookup(key); ok {
				return e, nil
			}
			// Shared by every caller waiting: not ended by the first
			// one's going away.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hookSecretReadTimeout)
			defer cancel()
			token, err := c.read(rctx, key)
			ttl := c.ttl
			if err != nil && !errors.Is(err, hookapi.ErrSecretNotFound) {
				ttl = c.errTTL
			}
			e := hookSecretEntry{token: token, err: err, expires: c.now().Add(ttl)}
			c.store(key, e)
			return e, nil
		})
		e = v.(hookSecretEntry)
	}
	if e.err != nil {
		return nil, e.err
	}
	return bytes.Clone(e.token), nil
}

func (c *hookSecretCache) lookup(key types.NamespacedName) (hookSecretEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		return hookSecretEntry{}, false
	}
	return e, true
}

// store keeps e, first dropping expired entries and then the oldest when
// the cache is full.
func (c *hookSecretCache) store(key types.NamespacedName, e hookSecretEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		now := c.now()
		var oldest types.NamespacedName
		for k, x := range c.entries {
			if !now.Before(x.expires) {
				delete(c.entries, k)
			} else if oldest.Name == "" || x.expires.Before(c.entries[oldest].expires) {
				oldest = k
			}
		}
		if len(c.entries) >= c.max {
			delete(c.entries, oldest)
		}
	}
	c.entries[key] = e
}
