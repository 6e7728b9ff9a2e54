package engine

import (
	"fmt"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// Entry outcomes: what the entry rule decided for one trigger event of one flow.
const (
	EntryEntered   = "entered"         // a journey starts
	EntryRestarted = "restarted"       // the active journey exits and a new one starts (repeat: restart)
	EntryPaused    = "paused"          // the flow takes no new entries
	EntryLate      = "late"            // the event arrived too long after its time
	EntryTooDeep   = "too_deep"        // an emitted event at the depth limit
	EntryWhenFalse = "when_false"      // the trigger's when did not hold
	EntryWhenError = "when_error"      // the trigger's when failed to evaluate (taken as false)
	EntryKeyError  = "key_error"       // the entry key failed to evaluate
	EntryStarted   = "already_started" // this very event already started a journey of the flow
	EntryActive    = "active"          // a journey with the same key is still active (repeat: always, never, a duration)
	EntryOnce      = "once"            // repeat: never, and the customer entered before
	EntryWindow    = "window"          // repeat: a duration, and the last entry is more recent than that
)

// EntryInput is what an entry rule decides on for one event of one customer.
type EntryInput struct {
	CustomerID string
	Now        time.Time // the moment of the decision: entries and repeat windows count from it
	Late       bool
	Depth      int
	// Vars gives the names the trigger's when and the entry key see (TriggerVars); it is called
	// only when the rule gets to them, so that a late event (a backfill's) builds nothing.
	Vars func() exprs.Vars
	// Past tells, for the entry key the rule computed, what the customer already has in the flow.
	Past func(key string) EntryPast
}

// EntryPast is the customer's history in a flow with one entry key, as the rule sees it.
type EntryPast struct {
	Started     bool           // this trigger event already started a journey
	Active      *store.Journey // the active journey with the key, if any
	LastEntered time.Time      // the last entry with the key (kept for repeat: never and durations); zero when none
}

// EntryDecision is what the entry rule decided and why, in plain words.
type EntryDecision struct {
	Enter   bool
	Outcome string // one of the Entry* outcomes
	Reason  string
	Key     string
	Holdout bool           // when entering: the customer is in the flow's holdout
	Restart *store.Journey // when restarting: the active journey that exits
	Err     error          // the evaluation error of EntryWhenError and EntryKeyError
}

// DecideEntry applies a flow's trigger condition and entry rule to one trigger event. It is the
// one place those rules live: the engine enters by it, and explanations of why a customer did or
// did not enter a flow call it too.
func DecideEntry(f *dsl.Flow, in EntryInput) EntryDecision {
	switch {
	case !f.Enters():
		return EntryDecision{Outcome: EntryPaused, Reason: "the flow is " + f.Status + ": it takes no new entries"}
	case in.Late:
		return EntryDecision{Outcome: EntryLate, Reason: "the event arrived too long after its time (policies.late_events) or as history: a late event starts no journey"}
	case in.Depth >= MaxDepth:
		return EntryDecision{Outcome: EntryTooDeep, Reason: fmt.Sprintf("the event was emitted at depth %d: flows emitting each other's triggers are cut there", in.Depth)}
	}
	vars := in.Vars()
	if w := f.Trigger.When; w != nil {
		ok, err := w.Bool(vars)
		if err != nil {
			return EntryDecision{Outcome: EntryWhenError, Err: err, Reason: "the trigger's when (" + w.Source + ") failed to evaluate, which counts as false: " + err.Error()}
		}
		if !ok {
			return EntryDecision{Outcome: EntryWhenFalse, Reason: "the trigger's when (" + w.Source + ") is false"}
		}
	}
	key := ""
	if f.Entry.Key != nil {
		k, err := f.Entry.Key.Eval(vars)
		if err != nil {
			return EntryDecision{Outcome: EntryKeyError, Err: err, Reason: "the entry key (" + f.Entry.Key.Source + ") failed to evaluate: " + err.Error()}
		}
		if k != nil {
			key = storableKey(fmt.Sprint(k))
		}
	}
	d := EntryDecision{Key: key}
	past := in.Past(key)
	withKey := ""
	if f.Entry.Key != nil {
		withKey = " with the key " + fmt.Sprintf("%q", key)
	}
	refuse := func(outcome, reason string) EntryDecision {
		d.Outcome, d.Reason = outcome, reason
		return d
	}
	if past.Started {
		return refuse(EntryStarted, "this event already started a journey of the flow")
	}
	active := func() string {
		return fmt.Sprintf("journey %s%s is still active (entered %s, at step %s)", past.Active.ID, withKey,
			past.Active.EnteredAt.Format(time.RFC3339), past.Active.StepID)
	}
	switch f.Entry.Repeat {
	case dsl.RepeatAlways, "":
		if past.Active != nil {
			return refuse(EntryActive, "repeat: always starts no second journey while one is active: "+active())
		}
	case dsl.RepeatNever:
		if past.Active != nil {
			return refuse(EntryActive, "repeat: never, and "+active())
		}
		if !past.LastEntered.IsZero() {
			return refuse(EntryOnce, "repeat: never allows one journey ever"+withKey+", and the customer entered on "+past.LastEntered.Format(time.RFC3339))
		}
	case dsl.RepeatAfter:
		if past.Active != nil {
			return refuse(EntryActive, "repeat: "+timespec.FormatDuration(f.Entry.After)+", and "+active())
		}
		if !past.LastEntered.IsZero() && in.Now.Before(past.LastEntered.Add(f.Entry.After)) {
			return refuse(EntryWindow, fmt.Sprintf("repeat: %s allows a new journey%s only %s after the last entry (%s), that is from %s",
				timespec.FormatDuration(f.Entry.After), withKey, timespec.FormatDuration(f.Entry.After),
				past.LastEntered.Format(time.RFC3339), past.LastEntered.Add(f.Entry.After).Format(time.RFC3339)))
		}
	case dsl.RepeatRestart:
		d.Restart = past.Active
	}
	d.Enter, d.Outcome, d.Reason = true, EntryEntered, "the trigger matched and the entry rule allows a journey"
	if d.Restart != nil {
		d.Outcome, d.Reason = EntryRestarted, "repeat: restart ends the active journey "+d.Restart.ID+" and starts anew"
	}
	d.Holdout = f.Holdout > 0 && fraction(f.ID, "holdout", in.CustomerID) < f.Holdout
	if d.Holdout {
		d.Reason += "; the customer is in the holdout: the journey is tracked and sends nothing"
	}
	return d
}

// TriggerVars are the names a trigger's when and entry key see for an event of a customer at now:
// the customer, the event (also as trigger) and now. The purchase history answers bought() and
// the other history functions; nil answers as a customer without orders.
func (fs *FlowSet) TriggerVars(c *store.Customer, ev *event.Event, now time.Time, h products.History) exprs.Vars {
	ek := fs.eventVars(ev)
	return exprs.Vars{"customer": customerVars(c, fs.Workspace.Customer), "now": now, "event": ek, "trigger": ek,
		exprs.LookupName: &products.Lookup{Products: fs.Workspace.Products, History: h, Now: now}}
}

// JourneyID is the id of the journey a trigger event starts in a flow: one event starts at most
// one journey of each flow.
func JourneyID(flowID, customerID, triggerID string) string {
	return journeyID(flowID, customerID, triggerID)
}
