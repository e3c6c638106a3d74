package app

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"knapp.dev/knapp/api/v1alpha1"
)

const domainTestHost = "shop.sls-local.knapp.example.com"

var domainTestT0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// domainApp is an App namespace/name created at t0 plus created minutes,
// asking for domainTestHost.
func domainApp(namespace, name string, created int, opts ...func(*v1alpha1.App)) *v1alpha1.App {
	app := &v1alpha1.App{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:         namespace,
			Name:              name,
			CreationTimestamp: metav1.NewTime(domainTestT0.Add(time.Duration(created) * time.Minute)),
		},
		Spec: v1alpha1.AppSpec{Image: "registry.example.com/shop:1", Domain: &v1alpha1.Domain{Name: "shop"}},
	}
	for _, o := range opts {
		o(app)
	}
	return app
}

// claimed gives the App a claim of host, made at t0 plus at minutes.
func domainClaim(host string, at int) func(*v1alpha1.App) {
	return func(a *v1alpha1.App) {
		a.Status.Domain = &v1alpha1.DomainStatus{Host: host, ClaimedAt: metav1.NewTime(domainTestT0.Add(time.Duration(at) * time.Minute))}
	}
}

func domainDeleting(a *v1alpha1.App) {
	now := metav1.NewTime(domainTestT0.Add(time.Hour))
	a.DeletionTimestamp = &now
	a.Finalizers = []string{"knapp.dev/finalizer"}
}

func domainItems(apps ...*v1alpha1.App) []v1alpha1.App {
	out := make([]v1alpha1.App, 0, len(apps))
	for _, a := range apps {
		out = append(out, *a.DeepCopy())
	}
	return out
}

func TestDomainHolder(t *testing.T) {
	tests := []struct {
		name   string
		self   *v1alpha1.App
		others []*v1alpha1.App // in the list besides self
		// listSelf puts a copy of self (or selfCopy) in the list too.
		listSelf bool
		selfCopy *v1alpha1.App
		want     string // namespace/name
	}{{
		name: "alone, absent from the list",
		self: domainApp("team-a", "shop", 5),
		want: "team-a/shop",
	}, {
		name:     "alone, present in the list",
		self:     domainApp("team-a", "shop", 5),
		listSelf: true,
		want:     "team-a/shop",
	}, {
		name:   "self absent from the list still counts: the newer other loses",
		self:   domainApp("team-a", "shop", 5),
		others: []*v1alpha1.App{domainApp("team-b", "shop", 10)},
		want:   "team-a/shop",
	}, {
		name:   "self absent from the list: an older other wins",
		self:   domainApp("team-a", "shop", 5),
		others: []*v1alpha1.App{domainApp("team-b", "shop", 1)},
		want:   "team-b/shop",
	}, {
		name:   "a claim beats an older App without one (self claims)",
		self:   domainApp("team-a", "shop", 10, domainClaim(domainTestHost, 11)),
		others: []*v1alpha1.App{domainApp("team-b", "shop", 1)},
		want:   "team-a/shop",
	}, {
		name:   "a claim beats an older App without one (other claims)",
		self:   domainApp("team-a", "shop", 1),
		others: []*v1alpha1.App{domainApp("team-b", "shop", 10, domainClaim(domainTestHost, 11))},
		want:   "team-b/shop",
	}, {
		name:   "the earlier claim wins between two claims, whatever the age",
		self:   domainApp("team-a", "shop", 1, domainClaim(domainTestHost, 30)),
		others: []*v1alpha1.App{domainApp("team-b", "shop", 10, domainClaim(domainTestHost, 20))},
		want:   "team-b/shop",
	}, {
		name:   "the earlier claim wins between two claims (self earlier)",
		self:   domainApp("team-a", "shop", 10, domainClaim(domainTestHost, 20)),
		others: []*v1alpha1.App{domainApp("team-b", "shop", 1, domainClaim(domainTestHost, 30))},
		want:   "team-a/shop",
	}, {
		name:   "equal claims fall back to age",
		self:   domainApp("team-a", "shop", 10, domainClaim(domainTestHost, 20)),
		others: []*v1alpha1.App{domainApp("team-b", "shop", 1, domainClaim(domainTestHost, 20))},
		want:   "team-b/shop",
	}, {
		name:   "a claim for another host does not count",
		self:   domainApp("team-a", "shop", 1),
		others: []*v1alpha1.App{domainApp("team-b", "shop", 10, domainClaim("shop.sls-other.knapp.example.com", 0))},
		want:   "team-a/shop",
	}, {
		name: "a claim for another host does not count against a real claim",
		self: domainApp("team-a", "shop", 10, domainClaim(domainTestHost, 20)),
		others: []*v1alpha1.App{
			domainApp("team-b", "shop", 1, domainClaim("old.sls-local.knapp.example.com", 0)),
		},
		want: "team-a/shop",
	}, {
		name: "without claims the oldest wins",
		self: domainApp("team-c", "shop", 10),
		others: []*v1alpha1.App{
			domainApp("team-a", "shop", 20),
			domainApp("team-b", "shop", 5),
			domainApp("team-d", "shop", 15),
		},
		want: "team-b/shop",
	}, {
		name: "equal timestamps: the first namespace wins",
		self: domainApp("team-b", "shop", 5),
		others: []*v1alpha1.App{
			domainApp("team-c", "shop", 5),
			domainApp("team-a", "web", 5),
		},
		want: "team-a/web",
	}, {
		name: "equal timestamps and namespace: the first name wins",
		self: domainApp("team-a", "shop", 5),
		others: []*v1alpha1.App{
			domainApp("team-a", "web", 5),
			domainApp("team-a", "cart", 5),
		},
		want: "team-a/cart",
	}, {
		name:   "equal timestamps: self wins when first by namespace",
		self:   domainApp("team-a", "shop", 5),
		others: []*v1alpha1.App{domainApp("team-b", "a", 5)},
		want:   "team-a/shop",
	}, {
		name: "an App being deleted is skipped, however old",
		self: domainApp("team-a", "shop", 10),
		others: []*v1alpha1.App{
			domainApp("team-b", "shop", 1, domainDeleting),
		},
		want: "team-a/shop",
	}, {
		name: "an App being deleted is skipped even with a claim",
		self: domainApp("team-a", "shop", 10),
		others: []*v1alpha1.App{
			domainApp("team-b", "shop", 1, domainClaim(domainTestHost, 2), domainDeleting),
			domainApp("team-c", "shop", 20),
		},
		want: "team-a/shop",
	}, {
		name: "the next claim takes over from an App being deleted",
		self: domainApp("team-a", "shop", 1),
		others: []*v1alpha1.App{
			domainApp("team-b", "shop", 5, domainClaim(domainTestHost, 6), domainDeleting),
			domainApp("team-c", "shop", 10, domainClaim(domainTestHost, 11)),
		},
		want: "team-c/shop",
	}, {
		name:     "self in the list is not counted twice: its own (fresh) state counts, not the cached copy's claim",
		self:     domainApp("team-a", "shop", 10),
		listSelf: true,
		selfCopy: domainApp("team-a", "shop", 10, domainClaim(domainTestHost, 11)),
		others:   []*v1alpha1.App{domainApp("team-b", "shop", 20, domainClaim(domainTestHost, 21))},
		want:     "team-b/shop",
	}, {
		name:     "self in the list is not counted twice: a cached copy marked deleted does not drop self",
		self:     domainApp("team-a", "shop", 1),
		listSelf: true,
		selfCopy: domainApp("team-a", "shop", 1, domainDeleting),
		others:   []*v1alpha1.App{domainApp("team-b", "shop", 20)},
		want:     "team-a/shop",
	}, {
		name:     "self in the list among others",
		self:     domainApp("team-b", "shop", 10),
		listSelf: true,
		others:   []*v1alpha1.App{domainApp("team-a", "shop", 20), domainApp("team-c", "shop", 30)},
		want:     "team-b/shop",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			listed := append([]*v1alpha1.App(nil), tc.others...)
			if tc.listSelf {
				c := tc.selfCopy
				if c == nil {
					c = tc.self
				}
				// In the middle of the list, so order is not what decides.
				listed = append(listed[:len(listed)/2], append([]*v1alpha1.App{c}, listed[len(listed)/2:]...)...)
			}
			items := domainItems(listed...)
			got := domainHolder(items, tc.self, domainTestHost)
			if got == nil {
				t.Fatal("domainHolder returned nil")
			}
			if g := got.Namespace + "/" + got.Name; g != tc.want {
				t.Errorf("holder %s, want %s", g, tc.want)
			}
			if tc.want == tc.self.Namespace+"/"+tc.self.Name && got != tc.self {
				t.Errorf("self wins, but domainHolder returned a copy from the list instead of self")
			}

			// The same holder whatever the order of the list.
			reversed := make([]v1alpha1.App, len(items))
			for i := range items {
				reversed[len(items)-1-i] = items[i]
			}
			if got2 := domainHolder(reversed, tc.self, domainTestHost); got2.Namespace != got.Namespace || got2.Name != got.Name {
				t.Errorf("holder depends on list order: %s/%s, then %s/%s reversed", got.Namespace, got.Name, got2.Namespace, got2.Name)
			}
		})
	}
}

// Every App asking for the host agrees on the holder when each reconciles
// with itself as self and the others from the cache.
func TestDomainHolderIsTheSameFromEverySide(t *testing.T) {
	apps := []*v1alpha1.App{
		domainApp("team-a", "shop", 5),
		domainApp("team-b", "shop", 1),
		domainApp("team-c", "shop", 3, domainClaim(domainTestHost, 40)),
		domainApp("team-d", "shop", 3, domainClaim(domainTestHost, 40)),
	}
	items := domainItems(apps...)
	for _, self := range apps {
		got := domainHolder(items, self, domainTestHost)
		if got.Namespace != "team-c" || got.Name != "shop" {
			t.Errorf("from %s/%s: holder %s/%s, want team-c/shop", self.Namespace, self.Name, got.Namespace, got.Name)
		}
	}
}

func TestIndexHost(t *testing.T) {
	tests := []struct {
		name string
		obj  client.Object
		want []string
	}{
		{name: "domain name set", obj: &v1alpha1.App{
			ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "shop"},
			Spec:       v1alpha1.AppSpec{Domain: &v1alpha1.Domain{Name: "store"}},
		}, want: []string{"store"}},
		{name: "no domain", obj: &v1alpha1.App{
			ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "shop"},
		}, want: []string{"shop"}},
		{name: "domain with empty name", obj: &v1alpha1.App{
			ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "shop"},
			Spec:       v1alpha1.AppSpec{Domain: &v1alpha1.Domain{}},
		}, want: []string{"shop"}},
		{name: "not an App", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := indexHost(tc.obj)
			if len(got) != len(tc.want) {
				t.Fatalf("indexHost = %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("indexHost = %q, want %q", got, tc.want)
				}
			}
		})
	}
}
