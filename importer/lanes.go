package importer

import (
	"context"
	"sync"

	"github.com/afterglowhq/afterglow/event"
)

// lanes hand events to Ingest in batches, over several lanes at once. A customer's events always
// take the same lane, in the order they were given, so each customer's history is applied in
// order (the customers file after the orders), while different customers' are stored side by
// side: the database then works on several batches at once.
type lanes struct {
	parent   context.Context
	ctx      context.Context
	cancel   context.CancelFunc
	ingest   func(context.Context, []event.Event) (int, int, error)
	size     int
	pending  [][]event.Event
	work     []chan []event.Event
	wg       sync.WaitGroup
	mu       sync.Mutex // guards err, s and progress calls
	err      error
	s        *Summary
	progress func(*Summary)
}

func newLanes(parent context.Context, n, size int, ingest func(context.Context, []event.Event) (int, int, error), s *Summary, progress func(*Summary)) *lanes {
	ctx, cancel := context.WithCancel(parent)
	l := &lanes{parent: parent, ctx: ctx, cancel: cancel, ingest: ingest, size: size, pending: make([][]event.Event, n), work: make([]chan []event.Event, n), s: s, progress: progress}
	for i := range l.work {
		l.work[i] = make(chan []event.Event, 1)
		l.wg.Add(1)
		go l.run(l.work[i])
	}
	return l
}

func (l *lanes) run(work chan []event.Event) {
	defer l.wg.Done()
	for batch := range work {
		if l.failed() {
			continue // drain: the sender must never block on a lane that stopped
		}
		stored, dups, err := l.ingest(l.ctx, batch)
		l.mu.Lock()
		if err != nil {
			if l.err == nil {
				l.err = err
				l.cancel()
			}
		} else {
			l.s.Events += len(batch)
			l.s.Stored += stored
			l.s.Duplicates += dups
			if l.progress != nil {
				l.progress(l.s)
			}
		}
		l.mu.Unlock()
	}
}

func (l *lanes) failed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err != nil
}

func (l *lanes) add(evs ...event.Event) error {
	for _, e := range evs {
		i := event.Lane(e.Subject, len(l.work))
		l.pending[i] = append(l.pending[i], e)
		if len(l.pending[i]) >= l.size {
			if err := l.send(i); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *lanes) send(i int) error {
	if len(l.pending[i]) > 0 {
		select {
		case l.work[i] <- l.pending[i]:
		case <-l.ctx.Done():
		}
		l.pending[i] = make([]event.Event, 0, l.size)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	return l.ctx.Err()
}

// close hands over what is left, waits for every lane and returns the first error.
func (l *lanes) close() error {
	for i := range l.work {
		_ = l.send(i)
		close(l.work[i])
	}
	l.wg.Wait()
	l.cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	return l.parent.Err()
}
