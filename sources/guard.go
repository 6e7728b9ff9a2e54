package sources

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/semaphore"
)

// Anyone can reach the ingest endpoints, before any signature or token is checked: what a request
// may cost then (memory, time, log lines) is bounded here.

// Budget bounds the memory request bodies take while they are read, checked and processed: a body
// is read only once its size (its Content-Length, or the limit when it announces none) is
// reserved, and the reservation lasts until its request is answered. Without it, a few hundred
// unsigned 5 MiB bodies held open took gigabytes before any signature was checked.
type Budget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

// NewBudget lets bodies hold up to bytes in all, waiting up to wait for room before a request is
// turned away.
func NewBudget(bytes int64, wait time.Duration) *Budget {
	return &Budget{sem: semaphore.NewWeighted(bytes), size: bytes, wait: wait}
}

// ErrBusy means the bodies under way already hold the whole budget; answer 503.
var ErrBusy = errors.New("too many requests are being read at once: retry in a moment")

// Reserve takes room for r's body, which may be up to limit bytes. release gives it back; call it
// once the request is answered. A nil Budget reserves nothing.
func (b *Budget) Reserve(r *http.Request, limit int64) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	n := limit
	if r.ContentLength >= 0 && r.ContentLength < limit {
		n = r.ContentLength
	}
	if r.ContentLength > limit {
		return func() {}, nil // ReadBody refuses it without reading it
	}
	n = max(min(n, b.size), 1)
	ctx, cancel := context.WithTimeout(r.Context(), b.wait)
	defer cancel()
	if err := b.sem.Acquire(ctx, n); err != nil {
		return func() {}, ErrBusy
	}
	var once sync.Once
	return func() { once.Do(func() { b.sem.Release(n) }) }, nil
}

// Busy answers 503 with Retry-After: the sender should come back in a moment.
func Busy(w http.ResponseWriter, message string) {
	w.Header().Set("Retry-After", "5")
	WriteError(w, http.StatusServiceUnavailable, message)
}

// Throttle writes a log line at most once per period, with how many times it was told since the
// last one: for what anyone can make happen as often as they like.
type Throttle struct {
	log   zerolog.Logger
	level zerolog.Level
	msg   string
	every time.Duration
	now   func() time.Time

	mu     sync.Mutex
	logged time.Time // when the last line was written
	since  int64     // notes since that line
}

// NewThrottle logs msg to log at level, at most once every period.
func NewThrottle(log zerolog.Logger, level zerolog.Level, msg string, every time.Duration) *Throttle {
	return &Throttle{log: log, level: level, msg: msg, every: every, now: time.Now}
}

// Note counts one occurrence; the line names the last one by field and value.
func (t *Throttle) Note(field, value string) {
	now := t.now()
	t.mu.Lock()
	t.since++
	if !t.logged.IsZero() && now.Sub(t.logged) < t.every {
		t.mu.Unlock()
		return
	}
	n := t.since
	t.since, t.logged = 0, now
	t.mu.Unlock()
	t.log.WithLevel(t.level).Int64("count", n).Str(field, value).Dur("period", t.every).Msg(t.msg)
}

// AuthFailures counts requests refused for a missing or wrong signature or token, and logs them
// through a Throttle: anyone can send them, and a line each would flood the logs.
type AuthFailures struct {
	total atomic.Int64
	log   *Throttle
}

// NewAuthFailures logs to log at most once every period.
func NewAuthFailures(log zerolog.Logger, every time.Duration) *AuthFailures {
	return &AuthFailures{log: NewThrottle(log, zerolog.WarnLevel,
		"refused requests with a missing or wrong signature or token (count since the last such line, at most one a period)", every)}
}

// Add records one refused request; what says why, for the log.
func (a *AuthFailures) Add(what string) {
	a.total.Add(1)
	a.log.Note("last", what)
}

// Total is the number of requests refused so far.
func (a *AuthFailures) Total() int64 {
	if a == nil {
		return 0
	}
	return a.total.Load()
}

// WithDeadline answers a request 503 with Retry-After once d has passed without an answer from h,
// whose context ends then: a database that hangs must not hold senders, their connections and
// their bodies without bound. h must stop when its context ends (Submit does).
func WithDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Read reserves room for r's body, then reads it. When either fails it answers the request
// itself (503 to come back in a moment, or the body's error) and ok is false; otherwise release
// gives the room back once the request is answered.
func (b *Budget) Read(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, release func(), ok bool) {
	release, err := b.Reserve(r, limit)
	if err != nil {
		Busy(w, err.Error())
		return nil, nil, false
	}
	body, err = ReadBody(r, limit)
	if err != nil {
		release()
		BodyError(w, err)
		return nil, nil, false
	}
	return body, release, true
}
