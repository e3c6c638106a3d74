package cli

import (
	"context"
	"net/http/httptest"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"knapp.dev/knapp/api/v1alpha1"
)

// A burst of changes reaches a list page as a few lists, the last one
// with every change; an App's page gets each change.
func TestFollowSendsABurstAsFewLists(t *testing.T) {
	const changes = 500
	for _, c := range []struct {
		name  string
		every bool
	}{{"list page", true}, {"App page", false}} {
		t.Run(c.name, func(t *testing.T) {
			w := watch.NewFake()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
			seen, flushes, last := 0, 0, 0
			done := make(chan struct{})
			go func() {
				defer close(done)
				every := listEvery
				if !c.every {
					every = 0
				}
				follow(r, w, every, func(watch.EventType, *v1alpha1.App) { seen++ }, func() bool {
					flushes++
					last = seen
					if seen == changes {
						cancel()
					}
					return true
				})
			}()
			for i := range changes {
				w.Modify(&v1alpha1.App{ObjectMeta: metav1.ObjectMeta{Name: "shop", ResourceVersion: string(rune('a' + i%26))}})
			}
			<-done
			if last != changes {
				t.Fatalf("the last send saw %d of %d changes", last, changes)
			}
			if c.every && flushes >= changes {
				t.Errorf("%d changes were sent as %d lists", changes, flushes)
			}
			if !c.every && flushes != changes {
				t.Errorf("%d changes were sent as %d events, want one each", changes, flushes)
			}
			t.Logf("%d changes, %d sends", changes, flushes)
		})
	}
}
