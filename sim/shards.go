package sim

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
)

// Shard is one slice of the customers with an engine, clock and store of its own.
type Shard struct {
	Engine *engine.Engine
	Clock  *clock.Virtual
	Store  store.Store
}

// RunSharded splits the customers over the shards by a hash of their id and runs each shard on a
// core of its own. Customers never affect each other in a simulation (a schedule's audience is
// decided customer by customer), so the shards give exactly what one engine would, sooner.
func RunSharded(ctx context.Context, shards []Shard, evs []event.Event, until time.Time, progress func(now time.Time, done int)) error {
	parts := make([][]event.Event, len(shards))
	for _, e := range evs {
		i := event.Lane(e.Subject, len(shards))
		parts[i] = append(parts[i], e)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		done  = make([]int, len(shards))
	)
	for i, sh := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &Driver{Engine: sh.Engine, Clock: sh.Clock}
			if progress != nil {
				d.Progress = func(now time.Time, n int) {
					mu.Lock()
					done[i] = n
					total := 0
					for _, x := range done {
						total += x
					}
					mu.Unlock()
					if i == 0 {
						progress(now, total)
					}
				}
			}
			if err := d.Run(ctx, parts[i], until); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// HistoryIngest returns what stores past events in the shards as history, each customer's in the
// shard that holds the customer: customers are updated, no flow is entered, nothing is sent. It
// runs on the shards' clocks, so that date triggers are reckoned from the simulation's start.
func HistoryIngest(shards []Shard) func(context.Context, []event.Event) (stored, duplicates int, err error) {
	engines := make([]*engine.Engine, len(shards))
	for i, sh := range shards {
		engines[i] = engine.New(sh.Store, sh.Engine.Flows(), engine.Options{Clock: sh.Clock, Logger: zerolog.Nop(), History: true})
	}
	return func(ctx context.Context, evs []event.Event) (int, int, error) {
		parts := make([][]event.Event, len(shards))
		for _, e := range evs {
			i := event.Lane(e.Subject, len(shards))
			parts[i] = append(parts[i], e)
		}
		stored, dups := 0, 0
		for i, part := range parts {
			res, err := engines[i].Ingest(ctx, part)
			if err != nil {
				return stored, dups, err
			}
			stored += res.Stored
			dups += res.Duplicates
		}
		return stored, dups, nil
	}
}

// Messages gathers every shard's messages, in send order.
func Messages(ctx context.Context, shards []Shard) ([]*store.Message, error) {
	var out []*store.Message
	for _, sh := range shards {
		ms, err := sh.Store.Messages(ctx, store.MessageFilter{})
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	sortMessages(out)
	return out, nil
}

// Journeys gathers every shard's journeys.
func Journeys(ctx context.Context, shards []Shard) ([]*store.Journey, error) {
	var out []*store.Journey
	for _, sh := range shards {
		js, err := sh.Store.Journeys(ctx, store.JourneyFilter{})
		if err != nil {
			return nil, err
		}
		out = append(out, js...)
	}
	return out, nil
}

// Customer finds a customer in whichever shard holds it.
func Customer(ctx context.Context, shards []Shard, id string) (*store.Customer, error) {
	for _, sh := range shards {
		if c, err := sh.Store.Customer(ctx, id); err == nil {
			return c, nil
		}
	}
	return nil, store.ErrNotFound
}

func sortMessages(ms []*store.Message) {
	sortSlice(ms, func(a, b *store.Message) bool {
		if !a.SendAt.Equal(b.SendAt) {
			return a.SendAt.Before(b.SendAt)
		}
		return a.ID < b.ID
	})
}

func sortSlice[T any](s []T, less func(a, b T) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(s[i], s[j]) })
}
