package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/hookapi"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingCache is a hookSecretCache over read on a fake clock, counting
// reads.
func countingCache(read func(types.NamespacedName) ([]byte, error)) (*hookSecretCache, *fakeClock, *atomic.Int32) {
	var n atomic.Int32
	c := newHookSecretCache(func(_ context.Context, key types.NamespacedName) ([]byte, error) {
		n.Add(1)
		return read(key)
	})
	clock := &fakeClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	c.now = clock.now
	return c, clock, &n
}

var (
	shopHook       = types.NamespacedName{Namespace: "team-a", Name: "shop-hook"}
	errConnRefused = errors.New("connection refused")
)

// A token, and a missing Secret, are read once per TTL; an apiserver error
// once per the shorter error TTL.
func TestHookSecretCacheKeepsAnswersForTheTTL(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		read    func(types.NamespacedName) ([]byte, error)
		wantErr error
		ttl     time.Duration
	}{
		{"token", func(types.NamespacedName) ([]byte, error) { return []byte("s3cret"), nil }, nil, hookSecretTTL},
		{"missing Secret", func(types.NamespacedName) ([]byte, error) {
			return nil, fmt.Errorf("%w: gone", hookapi.ErrSecretNotFound)
		}, hookapi.ErrSecretNotFound, hookSecretTTL},
		{"apiserver error", func(types.NamespacedName) ([]byte, error) {
			return nil, errConnRefused
		}, errConnRefused, hookSecretErrorTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clock, reads := countingCache(tt.read)
			for range 2 {
				token, err := c.get(ctx, shopHook)
				switch {
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				case tt.wantErr == nil && (err != nil || string(token) != "s3cret"):
					t.Fatalf("get = %q, %v", token, err)
				}
				clock.step(tt.ttl / 2)
			}
			if got := reads.Load(); got != 1 {
				t.Errorf("%d reads for two gets within %v, want 1", got, tt.ttl)
			}
			_, _ = c.get(ctx, shopHook)
			if got := reads.Load(); got != 2 {
				t.Errorf("%d reads after %v, want 2", got, tt.ttl)
			}
		})
	}
}

// Callers missing the same Secret at once share one read.
func TestHookSecretCacheCollapsesConcurrentMisses(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c, _, reads := countingCache(func(types.NamespacedName) ([]byte, error) {
		once.Do(func() { close(entered) })
		<-release
		return []byte("s3cret"), nil
	})
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			if token, err := c.get(context.Background(), shopHook); err != nil || string(token) != "s3cret" {
				errs <- fmt.Errorf("get = %q, %v", token, err)
			}
		})
	}
	<-entered
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Whether a caller came while the read ran or after it, it read nothing.
	if got := reads.Load(); got != 1 {
		t.Errorf("%d reads for %d concurrent callers, want 1", got, callers)
	}
}

// A full cache drops its oldest entry for a new one.
func TestHookSecretCacheIsBounded(t *testing.T) {
	c, clock, reads := countingCache(func(key types.NamespacedName) ([]byte, error) { return []byte(key.Name), nil })
	c.max = 2
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		if _, err := c.get(ctx, types.NamespacedName{Namespace: "ns", Name: name}); err != nil {
			t.Fatal(err)
		}
		clock.step(time.Second)
	}
	if len(c.entries) != 2 {
		t.Errorf("%d entries, want 2", len(c.entries))
	}
	_, _ = c.get(ctx, types.NamespacedName{Namespace: "ns", Name: "c"})
	if got := reads.Load(); got != 3 {
		t.Errorf("the newest entry was read again: %d reads", got)
	}
	_, _ = c.get(ctx, types.NamespacedName{Namespace: "ns", Name: "a"})
	if got := reads.Load(); got != 4 {
		t.Errorf("the oldest entry was kept: %d reads", got)
	}
}

// HookBuilds reads a hook Secret from the apiserver once per TTL, whether
// it exists or not, and keeps only its token.
func TestHookTokenReadsEachSecretOncePerTTL(t *testing.T) {
	var gets atomic.Int32
	scheme := buildTestScheme(t)
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*corev1.Secret); ok {
				gets.Add(1)
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	h := NewHookBuilds(&Reconciler{Client: c, APIReader: c})
	app := buildTestApp("main")
	app.Spec.Build.Hook = &v1alpha1.BuildHook{SecretName: "shop-hook"}
	ctx := context.Background()

	for range 3 {
		if _, err := h.HookToken(ctx, app); !errors.Is(err, hookapi.ErrSecretNotFound) {
			t.Fatalf("missing Secret: %v", err)
		}
	}
	if err := c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: app.Namespace, Name: "shop-hook"},
		Data:       map[string][]byte{"token": []byte("s3cret")},
	}); err != nil {
		t.Fatal(err)
	}
	// Still the kept answer: a new Secret counts within the TTL.
	if _, err := h.HookToken(ctx, app); !errors.Is(err, hookapi.ErrSecretNotFound) {
		t.Errorf("within the TTL: %v, want the kept ErrSecretNotFound", err)
	}
	if n := gets.Load(); n != 1 {
		t.Errorf("%d Secret reads, want 1", n)
	}
	h.secrets.now = func() time.Time { return time.Now().Add(hookSecretTTL) }
	if token, err := h.HookToken(ctx, app); err != nil || string(token) != "s3cret" {
		t.Errorf("after the TTL: %q, %v", token, err)
	}
}
