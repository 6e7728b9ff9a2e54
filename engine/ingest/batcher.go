// Package ingest groups events from many concurrent senders into few transactions. Each HTTP
// request waits until its events are committed (a 2xx must mean nothing is lost), but requests
// arriving together share one commit, so throughput is not bounded by one commit per request.
package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// ErrClosed is returned by Submit after the batcher stopped taking events.
var ErrClosed = errors.New("the engine is shutting down; send the events again")

// Batcher is a sources.Sink that commits events in groups.
type Batcher struct {
	Engine   *engine.Engine
	MaxBatch int           // events per transaction
	MaxWait  time.Duration // how long the first request of a group waits for company
	// Workers is how many groups are committed at once (default 4). While one group's statements
	// run in the database or its commit waits for the disk, other groups' events are worked out
	// in Go: one worker leaves one side idle at a time. On two cores, the example shop's events
	// went in at 1,700/s with one worker, 2,800/s with two and 3,700/s with four. Each worker
	// takes the events of its own share of the customers (event.Lane): two groups sharing
	// customers would wait for each other's locks and commit one after the other. A customer's
	// events thus go through one worker, in the order they came, and a customer held long by
	// another process stalls one worker, not the intake.
	Workers int
	// CommitTimeout bounds one transaction: a database that hangs must not stop the batcher for
	// good. Senders are answered at their own deadline; a commit cut short leaves nothing.
	CommitTimeout time.Duration
	// Observe, when set, is told how many events each transaction carried and how long it took to
	// commit them (or to fail), for latency metrics.
	Observe func(events int, took time.Duration)

	once    sync.Once
	in      []chan *request // one per worker
	mu      sync.RWMutex
	closed  bool
	done    chan struct{}
	pending sync.WaitGroup
}

// request is a sender's events for one worker: all of them, or one worker's share.
type request struct {
	events []event.Event
	index  []int // each event's place in the sender's batch; nil when the request is all of it
	done   chan error
}

func (b *Batcher) init() {
	b.once.Do(func() {
		if b.MaxBatch <= 0 {
			b.MaxBatch = 1000
		}
		if b.MaxWait <= 0 {
			b.MaxWait = 2 * time.Millisecond
		}
		if b.Workers <= 0 {
			b.Workers = 4
		}
		if b.CommitTimeout <= 0 {
			b.CommitTimeout = 30 * time.Second
		}
		b.in = make([]chan *request, b.Workers)
		for i := range b.in {
			b.in[i] = make(chan *request, 1024)
		}
		b.done = make(chan struct{})
	})
}

// Submit stores and processes the events, returning once they are committed.
func (b *Batcher) Submit(ctx context.Context, evs []event.Event) error {
	b.init()
	if len(evs) == 0 {
		return nil
	}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	// Events that can never be stored are refused before any share is committed: the batch is
	// refused whole, with every problem indexed in it.
	if err := b.Engine.Check(evs); err != nil {
		b.mu.RUnlock()
		return err
	}
	parts := b.split(evs)
	for _, r := range parts {
		if r != nil {
			b.pending.Add(1)
		}
	}
	b.mu.RUnlock()
	for w, r := range parts {
		if r == nil {
			continue
		}
		select {
		case b.in[w] <- r:
		case <-ctx.Done():
			// The queue is full (the database is slow or hangs): the sender learns it at its
			// deadline. A share already taken is committed; the sender's retry finds it stored.
			for _, r := range parts[w:] {
				if r != nil {
					b.pending.Done()
				}
			}
			return ctx.Err()
		}
	}
	// The shares are in; they are committed or refused whatever the caller does now, and the
	// caller learns which unless it went away: the first failure, or nil when all committed.
	var first error
	for _, r := range parts {
		if r == nil {
			continue
		}
		select {
		case err := <-r.done:
			if first == nil {
				first = err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return first
}

// split gives each worker the events of its customers, in the order they came; nil for a
// worker with none.
func (b *Batcher) split(evs []event.Event) []*request {
	parts := make([]*request, b.Workers)
	for i := range evs {
		w := event.Lane(evs[i].Subject, b.Workers)
		if parts[w] == nil {
			parts[w] = &request{done: make(chan error, 1)}
		}
		parts[w].events = append(parts[w].events, evs[i])
		parts[w].index = append(parts[w].index, i)
	}
	for w, r := range parts {
		if r != nil && len(r.events) == len(evs) {
			parts[w].index = nil // all of the batch: its indexes are the sender's
		}
	}
	return parts
}

// CustomerOfOrder answers the webhook sources' question from the store.
func (b *Batcher) CustomerOfOrder(ctx context.Context, source, orderID string) (string, bool, error) {
	return b.Engine.Store().CustomerOfOrder(ctx, source, orderID)
}

// Run commits requests until Close; it returns when every accepted request is answered.
func (b *Batcher) Run(ctx context.Context) {
	b.init()
	defer close(b.done)
	var wg sync.WaitGroup
	for _, in := range b.in {
		wg.Go(func() { b.work(ctx, in) })
	}
	wg.Wait()
}

// work gathers requests into groups and commits them, one group at a time.
func (b *Batcher) work(ctx context.Context, in chan *request) {
	for {
		var first *request
		select {
		case first = <-in:
		case <-ctx.Done():
			b.drain(in)
			return
		}
		group := []*request{first}
		n := len(first.events)
		timer := time.NewTimer(b.MaxWait)
	gather:
		for n < b.MaxBatch {
			select {
			case r := <-in:
				group = append(group, r)
				n += len(r.events)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		b.commit(context.WithoutCancel(ctx), group)
	}
}

// Close stops taking events and waits until those already taken are answered.
func (b *Batcher) Close() {
	b.init()
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.pending.Wait()
}

func (b *Batcher) drain(in chan *request) {
	for {
		select {
		case r := <-in:
			b.commit(context.Background(), []*request{r})
		default:
			return
		}
	}
}

// commit ingests a group in one transaction. If the group fails, each request is tried on its own,
// so one request's failure is not every request's. Requests with events that do not fit are
// refused with their own problems, and the rest of the group is committed without them.
func (b *Batcher) commit(ctx context.Context, group []*request) {
	var all []event.Event
	for _, r := range group {
		all = append(all, r.events...)
	}
	err := b.ingest(ctx, all)
	var refused *event.Refused
	if errors.As(err, &refused) && len(group) > 1 && attributable(refused) {
		b.commit(ctx, b.refuse(group, refused))
		return
	}
	if err != nil && len(group) > 1 {
		for _, r := range group {
			b.answer(r, b.ingest(ctx, r.events))
		}
		return
	}
	for _, r := range group {
		b.answer(r, err)
	}
}

// attributable says whether every problem names its event, so that the requests at fault are
// known.
func attributable(r *event.Refused) bool {
	for _, p := range r.Problems {
		if p.Index < 0 {
			return false
		}
	}
	return len(r.Problems) > 0
}

// refuse answers the requests whose events have problems, each with its own problems indexed in
// its own batch, and returns the others.
func (b *Batcher) refuse(group []*request, refused *event.Refused) []*request {
	bad := make([][]event.Indexed, len(group))
	start, ri := 0, 0
	for _, p := range refused.Problems { // in batch order
		for p.Index >= start+len(group[ri].events) {
			start += len(group[ri].events)
			ri++
		}
		p.Index -= start
		if ix := group[ri].index; ix != nil {
			p.Index = ix[p.Index] // a share's index is the sender's
		}
		bad[ri] = append(bad[ri], p)
	}
	var rest []*request
	for i, r := range group {
		if bad[i] != nil {
			b.answer(r, &event.Refused{Problems: bad[i]})
		} else {
			rest = append(rest, r)
		}
	}
	return rest
}

func (b *Batcher) answer(r *request, err error) {
	r.done <- err
	b.pending.Done()
}

// ingest retries a transaction that lost a race with another process (a serialization failure or
// a deadlock victim): nothing was committed, so trying again is safe.
func (b *Batcher) ingest(ctx context.Context, evs []event.Event) error {
	ctx, cancel := context.WithTimeout(ctx, b.CommitTimeout)
	defer cancel()
	if b.Observe != nil {
		start := time.Now()
		defer func() { b.Observe(len(evs), time.Since(start)) }()
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if _, err = b.Engine.Ingest(ctx, evs); err == nil || !store.Retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
	return err
}
