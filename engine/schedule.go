package engine

import (
	"context"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// lateLimit is how late a one-off schedule may still fire. A campaign found more than this far in
// the past when its flow is first loaded was missed, and sending it now would be wrong.
const lateLimit = 24 * time.Hour

func (fs *FlowSet) scheduleLocation(f *dsl.Flow) *time.Location {
	if f.Trigger.Location != nil {
		return f.Trigger.Location
	}
	if fs.Settings != nil && fs.Settings.Location != nil {
		return fs.Settings.Location
	}
	return time.UTC
}

func (fs *FlowSet) scheduleSpec(f *dsl.Flow) string {
	t := f.Trigger
	if t.Cron != nil {
		return "cron " + t.Cron.String() + " " + fs.scheduleLocation(f).String()
	}
	return "at " + t.At.UTC().Format(time.RFC3339)
}

// firstFire is the first occurrence of a schedule seen for the first time at now.
func (fs *FlowSet) firstFire(f *dsl.Flow, now time.Time) time.Time {
	t := f.Trigger
	if t.Cron != nil {
		// An occurrence at this very moment counts: a simulation's clock arrives exactly on it.
		return t.Cron.Next(now.Add(-time.Nanosecond), fs.scheduleLocation(f))
	}
	if now.Sub(t.At) > lateLimit {
		return time.Time{}
	}
	return t.At
}

// RunSchedules fans out every due schedule trigger, one batch of customers per transaction, and
// returns how many customers it looked at. Customers are read in id order from the store, never all
// at once; the cursor is saved with each batch, so a fan-out interrupted anywhere resumes where it
// stopped and enters no customer twice.
func (e *Engine) RunSchedules(ctx context.Context) (int, error) {
	total := 0
	for _, f := range e.Flows().schedFlows {
		for {
			n, more, err := e.fanOut(ctx, f)
			total += n
			if err != nil {
				return total, err
			}
			if !more {
				break
			}
		}
	}
	return total, nil
}

func (e *Engine) fanOut(ctx context.Context, f *dsl.Flow) (n int, more bool, err error) {
	var done *batch
	defer func() {
		if err == nil && done != nil {
			e.committed(done)
		}
	}()
	err = e.store.InTx(ctx, func(tx store.Tx) error {
		s, err := tx.LockSchedule(ctx, f.ID)
		if err != nil || s == nil {
			return err // nil: another process is fanning it out
		}
		b := e.newBatch(ctx, tx)
		done = b
		if spec := b.fs.scheduleSpec(f); s.Spec != spec {
			*s = store.Schedule{FlowID: f.ID, Spec: spec, FireAt: b.fs.firstFire(f, b.now)}
			if s.FireAt.IsZero() && f.Trigger.Cron == nil {
				e.log.Warn().Str("flow", f.ID).Time("at", f.Trigger.At).Msg("schedule missed: its moment passed more than a day before the flow was loaded; it will not fire")
			}
		}
		if s.FireAt.IsZero() || s.FireAt.After(b.now) || !f.Enters() {
			return tx.SaveSchedule(ctx, s)
		}
		cs, last, err := tx.LockCustomersAfter(ctx, s.Cursor, e.opts.BatchSize)
		if err != nil {
			return err
		}
		n = len(cs)
		if err := b.load(cs, b.now); err != nil {
			return err
		}
		trigID := "schedule/" + f.ID + "/" + s.FireAt.UTC().Format(time.RFC3339)
		for _, st := range b.order {
			if !b.cond(f.Trigger.Audience, exprs.Vars{"customer": st.customer(b.fs.Workspace.Customer), "now": st.now, exprs.LookupName: b.lookup(st)}, st, f, "audience") {
				continue
			}
			trig := event.Event{SpecVersion: event.SpecVersion, ID: trigID, Source: "afterglow", Type: "schedule", Subject: st.c.ID, Time: s.FireAt}
			b.enter(st, f, &trig, 0, trigID, false)
			b.drain(st)
		}
		if err := b.save(); err != nil {
			return err
		}
		if n < e.opts.BatchSize {
			s.LastFired, s.Cursor = s.FireAt, ""
			s.FireAt = time.Time{}
			if f.Trigger.Cron != nil {
				s.FireAt = f.Trigger.Cron.Next(s.LastFired, b.fs.scheduleLocation(f))
			}
		} else {
			s.Cursor, more = last, true
		}
		return tx.SaveSchedule(ctx, s)
	})
	return n, more, err
}

// NextDue is the earliest moment the engine has work without a new event: a journey's timer, a
// date trigger, or a schedule. Virtual clocks jump straight to it.
func (e *Engine) NextDue(ctx context.Context) (time.Time, bool, error) {
	t, ok, err := e.store.NextWake(ctx)
	if err != nil {
		return t, ok, err
	}
	s, sok, err := e.NextSchedule(ctx)
	if err != nil {
		return t, ok, err
	}
	if sok && (!ok || s.Before(t)) {
		return s, true, nil
	}
	return t, ok, nil
}

// NextSchedule is the earliest moment a schedule trigger fires (or is under way).
func (e *Engine) NextSchedule(ctx context.Context) (time.Time, bool, error) {
	var t time.Time
	ok := false
	if len(e.Flows().schedFlows) == 0 {
		return t, false, nil
	}
	states, err := e.store.Schedules(ctx)
	if err != nil {
		return t, false, err
	}
	byFlow := map[string]store.Schedule{}
	for _, s := range states {
		byFlow[s.FlowID] = s
	}
	now := e.clock.Now()
	fs := e.Flows()
	for _, f := range fs.schedFlows {
		if !f.Enters() {
			continue
		}
		s, seen := byFlow[f.ID]
		at := s.FireAt
		if !seen || s.Spec != fs.scheduleSpec(f) {
			at = fs.firstFire(f, now)
		}
		if at.IsZero() {
			continue
		}
		if !ok || at.Before(t) {
			t, ok = at, true
		}
	}
	return t, ok, nil
}

// EventTime reports whether the engine runs work at its own moments (a simulation).
func (e *Engine) EventTime() bool { return e.opts.EventTime }
