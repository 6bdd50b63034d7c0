package auth

import (
	"sync"
	"time"
)

// Throttle counts recent failed attempts per key (a user name, a client
// address) within a fixed window. It is in memory: a restart forgives.
type Throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	m      map[string]*bucket
}

type bucket struct {
	start time.Time
	n     int
}

// NewThrottle returns a throttle allowing limit failures per window.
func NewThrottle(limit int, window time.Duration) *Throttle {
	return &Throttle{limit: limit, window: window, now: time.Now, m: map[string]*bucket{}}
}

// Blocked reports whether key has reached its limit.
func (t *Throttle) Blocked(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.m[key]
	if b == nil {
		return false
	}
	if t.now().Sub(b.start) >= t.window {
		delete(t.m, key)
		return false
	}
	return b.n >= t.limit
}

// Fail records a failure for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.m[key]
	if b == nil || now.Sub(b.start) >= t.window {
		if len(t.m) > 100_000 {
			t.sweepLocked(now)
		}
		b = &bucket{start: now}
		t.m[key] = b
	}
	b.n++
}

// Reset forgets key (after a success).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
}

func (t *Throttle) sweepLocked(now time.Time) {
	for k, b := range t.m {
		if now.Sub(b.start) >= t.window {
			delete(t.m, k)
		}
	}
}
