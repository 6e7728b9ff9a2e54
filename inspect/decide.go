package inspect

import (
	"context"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/shopspring/decimal"
)

// NotEntered is the outcome of a trigger event that the rules let in but that started no journey.
const NotEntered = "not_entered"

// maxDecisions bounds how many trigger events are explained: the latest ones.
const maxDecisions = 50

// decide explains each of the customer's events of f's trigger type, by engine.DecideEntry: the
// rules the engine entered by. The customer's attributes and consent are as they are now (the
// store keeps no past versions of them); order metrics and purchase history are as of each event.
func decide(ctx context.Context, r store.Reader, fs *engine.FlowSet, f *dsl.Flow, c *store.Customer, orders []*store.Order,
	js []*store.Journey, msgs []MessageView, now time.Time) (*FlowDecisions, error) {
	fd := &FlowDecisions{Flow: f.ID, Version: f.Version, Repeat: repeatText(f.Entry), Holdout: f.Holdout, Decisions: []Decision{}}
	if f.Entry.Key != nil {
		fd.Key = f.Entry.Key.Source
	}
	if f.Trigger.Kind != dsl.TriggerEvent {
		fd.Note = "the flow starts on a schedule or a date, not on the customer's events: its journeys are listed with the others"
		if a := f.Trigger.Audience; a != nil {
			if now.IsZero() {
				now = time.Now()
			}
			vars := fs.TriggerVars(c, nil, now, engine.OrderHistory(orders))
			held, err := a.Bool(vars)
			fd.Audience = &Condition{Source: a.Source, Held: held, Reads: a.Reads(vars)}
			if err != nil {
				fd.Audience.Error = err.Error()
			}
		}
		return fd, nil
	}
	fd.Trigger = f.Trigger.Event
	if f.Trigger.When != nil {
		fd.When = f.Trigger.When.Source
	}
	fd.Note = "the customer's attributes and consent are read as they are now; order metrics as of each event"
	evs, err := r.Events(ctx, store.EventFilter{CustomerID: c.ID, Type: f.Trigger.Event, Limit: maxDecisions})
	if err != nil {
		return nil, err
	}
	var mine []*store.Journey
	for _, j := range js {
		if j.FlowID == f.ID {
			mine = append(mine, j)
		}
	}
	for _, ev := range evs {
		fd.Decisions = append(fd.Decisions, decideOne(fs, f, c, orders, mine, msgs, &ev.Event, ev.Depth))
	}
	return fd, nil
}

// decideOne explains one trigger event: the journey it started, if any, and the entry rule's
// decision on the customer's journeys of the flow that came before it.
func decideOne(fs *engine.FlowSet, f *dsl.Flow, c *store.Customer, orders []*store.Order, js []*store.Journey,
	msgs []MessageView, ev *event.Event, depth int) Decision {
	at := ev.Time
	cust, before := customerAt(c, orders, at)
	vars := fs.TriggerVars(cust, ev, at, engine.OrderHistory(before))
	d := Decision{EventID: ev.ID, Time: ev.Time.UTC()}
	if w := f.Trigger.When; w != nil {
		held, err := w.Bool(vars)
		d.When = &Condition{Source: w.Source, Held: held, Reads: w.Reads(vars)}
		if err != nil {
			d.When.Error = err.Error()
		}
	}
	id := engine.JourneyID(f.ID, c.ID, ev.ID)
	dec := engine.DecideEntry(f, engine.EntryInput{CustomerID: c.ID, Now: at, Depth: depth, Vars: func() exprs.Vars { return vars },
		Past: func(key string) engine.EntryPast { return pastAt(js, key, id, ev) }})
	d.Key = dec.Key
	var started *store.Journey
	for _, j := range js {
		if j.ID == id {
			started = j
		}
	}
	switch {
	case started != nil:
		d.Entered, d.JourneyID, d.Arm = true, started.ID, journeyView(started).Arm
		d.Outcome, d.Reason = engine.EntryEntered, "it started journey "+started.ID
		if dec.Enter {
			d.Outcome, d.Reason = dec.Outcome, dec.Reason+": journey "+started.ID
		} else {
			d.Reason += " (the customer has changed since; now the rule would decide: " + dec.Reason + ")"
		}
		left := false
		for _, m := range msgs {
			if m.JourneyID == started.ID {
				d.Messages = append(d.Messages, m)
				left = left || m.Status != store.Skipped
			}
		}
		if len(d.Messages) > 0 && !left && !started.Holdout {
			d.Reason += "; none of its messages leaves: " + d.Messages[0].Step + " (" + d.Messages[0].Channel + ") was skipped: " + d.Messages[0].Why
		}
	case dec.Enter:
		d.Outcome = NotEntered
		d.Reason = "the rules allow a journey, but none was started: the event arrived late (more than policies.late_events after its time) or as history (an import, ingest --history), or the flow did not take entries then"
	default:
		d.Outcome, d.Reason = dec.Outcome, dec.Reason
	}
	return d
}

// pastAt is what the customer had in the flow with a key just before the event: journeys started
// by earlier events (by time, then id), other than the one this event started.
func pastAt(js []*store.Journey, key, self string, ev *event.Event) engine.EntryPast {
	var p engine.EntryPast
	for _, j := range js {
		if j.Key != key || j.ID == self {
			continue
		}
		t := j.Trigger.Time
		if !(t.Before(ev.Time) || t.Equal(ev.Time) && j.Trigger.ID < ev.ID) {
			continue
		}
		if j.EnteredAt.After(p.LastEntered) {
			p.LastEntered = j.EnteredAt
		}
		if j.EndedAt.IsZero() || j.EndedAt.After(ev.Time) {
			p.Active = j
		}
	}
	return p
}

// customerAt is the customer with the order metrics they had at a moment, and the orders placed
// by then: what the engine saw when it processed an event of that moment.
func customerAt(c *store.Customer, orders []*store.Order, at time.Time) (*store.Customer, []*store.Order) {
	cc := *c
	cc.OrdersCount, cc.TotalSpent, cc.FirstOrderAt, cc.LastOrderAt = 0, decimal.Zero, time.Time{}, time.Time{}
	var before []*store.Order
	for _, o := range orders {
		if o.PlacedAt.IsZero() || o.PlacedAt.After(at) {
			continue
		}
		before = append(before, o)
		if !o.CancelledAt.IsZero() && !o.CancelledAt.After(at) {
			continue // cancelled by then: it no longer counted (one cancelled later still did)
		}
		cc.OrdersCount++
		cc.TotalSpent = cc.TotalSpent.Add(decimal.Max(o.Total.Sub(o.Refunded), decimal.Zero))
		if cc.FirstOrderAt.IsZero() || o.PlacedAt.Before(cc.FirstOrderAt) {
			cc.FirstOrderAt = o.PlacedAt
		}
		if o.PlacedAt.After(cc.LastOrderAt) {
			cc.LastOrderAt = o.PlacedAt
		}
	}
	return &cc, before
}

func repeatText(e dsl.Entry) string {
	switch e.Repeat {
	case dsl.RepeatAfter:
		return timespec.FormatDuration(e.After)
	case "":
		return string(dsl.RepeatAlways)
	}
	return string(e.Repeat)
}
