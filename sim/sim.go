// Package sim drives an engine on a virtual clock: the clock jumps from one due moment to the
// next (an event, a journey's timer, a date, a schedule), so weeks of a shop's life run in
// moments, through the same engine code as production.
package sim

import (
	"context"
	"sort"
	"time"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/event"
)

// Driver runs an engine over events on a virtual clock.
type Driver struct {
	Engine *engine.Engine
	Clock  *clock.Virtual
	// Progress, when set, is called after each moment with the virtual time and the events done.
	Progress func(now time.Time, eventsDone int)
	// BatchEvents bounds how many events go into one transaction.
	BatchEvents int
}

// Run processes the events (in time order; ties keep their order) and all the work they cause,
// up to and including until.
func (d *Driver) Run(ctx context.Context, evs []event.Event, until time.Time) error {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	if d.BatchEvents <= 0 {
		d.BatchEvents = 1000
	}
	if d.Engine.EventTime() {
		return d.runChunks(ctx, evs, until)
	}
	return d.runMoments(ctx, evs, until)
}

// runChunks hands the engine many events per transaction. The engine runs each event and timer at
// its own moment, a customer's in time order; customers do not affect each other, except through
// a schedule's audience, so chunks stop at every schedule's moment.
func (d *Driver) runChunks(ctx context.Context, evs []event.Event, until time.Time) error {
	i := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		limit := until
		sched, hasSched, err := d.Engine.NextSchedule(ctx)
		if err != nil {
			return err
		}
		if hasSched && sched.Before(limit) {
			limit = sched
		}
		j := i
		for j < len(evs) && j-i < d.BatchEvents && !evs[j].Time.After(limit) {
			j++
		}
		t := limit
		if j > i && j < len(evs) && !evs[j].Time.After(limit) {
			t = evs[j-1].Time // the chunk is full before the limit: stop at its last event
		}
		d.Clock.Set(t)
		if j > i {
			if _, err := d.Engine.Ingest(ctx, evs[i:j]); err != nil {
				return err
			}
			i = j
		}
		if err := d.drain(ctx); err != nil {
			return err
		}
		if d.Progress != nil {
			d.Progress(t, i)
		}
		if !t.Before(until) {
			return nil // events after until are left out, as in runMoments
		}
	}
}

// runMoments moves the clock to each due moment in turn, as a production engine lives through them.
func (d *Driver) runMoments(ctx context.Context, evs []event.Event, until time.Time) error {
	i := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		due, hasDue, err := d.Engine.NextDue(ctx)
		if err != nil {
			return err
		}
		var next time.Time
		switch {
		case i < len(evs) && (!hasDue || !evs[i].Time.After(due)):
			next = evs[i].Time
		case hasDue:
			next = due
		default:
			d.Clock.Set(until)
			return nil
		}
		if next.After(until) {
			d.Clock.Set(until)
			return nil
		}
		d.Clock.Set(next)
		// Timers and schedules due at this moment run before the events of this moment.
		if err := d.drain(ctx); err != nil {
			return err
		}
		now := d.Clock.Now()
		for i < len(evs) && !evs[i].Time.After(now) {
			j := i
			for j < len(evs) && !evs[j].Time.After(now) && j-i < d.BatchEvents {
				j++
			}
			if _, err := d.Engine.Ingest(ctx, evs[i:j]); err != nil {
				return err
			}
			i = j
		}
		if d.Progress != nil {
			d.Progress(now, i)
		}
	}
}

// drain runs every timer and schedule that is due now.
func (d *Driver) drain(ctx context.Context) error {
	for {
		n, err := d.Engine.Tick(ctx)
		if err != nil {
			return err
		}
		m, err := d.Engine.RunSchedules(ctx)
		if err != nil {
			return err
		}
		// A fan-out may make journeys due now, and a timer may make nothing else due: go round
		// until a pass finds no work.
		if n == 0 && m == 0 {
			return nil
		}
	}
}
