package hookapi

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLimitedApps bounds the limiters kept. Only authenticated calls reach
// them, so there is one per App with hooks whose token a caller holds.
const maxLimitedApps = 4096

// buildLimiter limits how fast each App starts builds through the API: a
// token bucket per namespace/name.
type buildLimiter struct {
	perMinute, burst int
	now              func() time.Time

	mu   sync.Mutex
	apps map[string]*appLimiter
}

type appLimiter struct {
	lim      *rate.Limiter
	lastUsed time.Time
}

func newBuildLimiter(perMinute, burst int) *buildLimiter {
	return &buildLimiter{perMinute: perMinute, burst: burst, now: time.Now, apps: map[string]*appLimiter{}}
}

// allow takes one build from app's bucket; when it is empty it takes
// nothing and returns how long until one is there.
func (l *buildLimiter) allow(app string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	a := l.apps[app]
	if a == nil {
		if len(l.apps) >= maxLimitedApps {
			l.evict(now)
		}
		a = &appLimiter{lim: rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.burst)}
		l.apps[app] = a
	}
	a.lastUsed = now
	r := a.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict drops the limiters whose buckets are full again, which are as good
// as new; if none is, the least recently used one.
func (l *buildLimiter) evict(now time.Time) {
	var oldest string
	for k, a := range l.apps {
		if a.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.apps, k)
		} else if oldest == "" || a.lastUsed.Before(l.apps[oldest].lastUsed) {
			oldest = k
		}
	}
	if len(l.apps) >= maxLimitedApps {
		delete(l.apps, oldest)
	}
}

// retryAfter is d in whole seconds for a Retry-After header, rounded up
// and at least 1.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
