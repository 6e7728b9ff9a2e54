package engine

import (
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// maxStepsPerRun bounds one run of a journey. The language has no loops, so only a flow with more
// steps than this could reach it; it guards against a bug, not a flow.
const maxStepsPerRun = 10_000

// observe shows an event to one open journey: exit rules first, then the goal, then a waiting
// wait_for. A journey that has ended is shown events while its goal window is open or while a
// message it wrote is held back; an exit rule or a goal that ends journeys then stops that message,
// as the customer has left all the same.
//
// A late event's goal counts at the moment the event happened: within the goal's window from the
// journey's entry, and not before the entry.
func (b *batch) observe(st *custState, j *store.Journey, f *dsl.Flow, ev *event.Event, late bool) {
	for _, r := range f.Exits {
		if r.Event == "" || r.Event != ev.Type {
			continue
		}
		if b.cond(r.When, b.vars(st, j, ev), st, f, "exit") {
			if j.Status == store.Active {
				b.abandon(st, j, store.Exited, "exit on "+ev.Type)
				return
			}
			b.cancelJourney(st, j.ID)
			break
		}
	}
	if g := f.Goal; g != nil && g.Event == ev.Type && j.ConvertedAt.IsZero() {
		// Without `within`, a completed journey is here only for a message it holds: the goal still
		// counts, and stops that message.
		open := j.Status == store.Active || j.Status == store.Completed
		at := st.now
		if late {
			at = ev.Time
		}
		inWindow := g.Within == 0 && open || g.Within > 0 && at.Before(j.EnteredAt.Add(g.Within))
		if late && at.Before(j.EnteredAt) {
			inWindow = false
		}
		if inWindow && b.cond(g.When, b.vars(st, j, ev), st, f, "goal") {
			j.ConvertedAt = at
			st.mark(j)
			if g.Exit && j.Status == store.Active {
				b.abandon(st, j, store.Converted, "goal "+ev.Type)
				return
			}
			if g.Exit {
				b.cancelJourney(st, j.ID)
			}
		}
	}
	if j.Status == store.Active && j.WaitEvent == ev.Type {
		step := f.Index[j.StepID]
		if step == nil || step.WaitFor == nil {
			return
		}
		if !b.cond(step.WaitFor.When, b.vars(st, j, ev), st, f, step.ID) {
			return
		}
		evc := *ev
		b.output(j, step.ID, store.StepOutput{Event: &evc})
		j.WaitEvent, j.WakeAt = "", time.Time{}
		b.run(st, j, f, step.Next)
	}
}

// conditionExit ends the journey when one of its event-less exit rules holds.
func (b *batch) conditionExit(st *custState, j *store.Journey, f *dsl.Flow) bool {
	for _, r := range f.Exits {
		if r.Event != "" || r.When == nil {
			continue
		}
		if b.cond(r.When, b.vars(st, j, nil), st, f, "exit") {
			b.abandon(st, j, store.Exited, "exit condition: "+r.When.Source)
			return true
		}
	}
	return false
}

// enter starts a journey of f for the customer when the trigger's condition and the entry rule
// allow it (DecideEntry), and runs it until it pauses.
func (b *batch) enter(st *custState, f *dsl.Flow, trig *event.Event, depth int, triggerID string, late bool) {
	vars := func() exprs.Vars {
		v := b.vars(st, nil, trig)
		v["trigger"] = v["event"]
		return v
	}
	id := journeyID(f.ID, st.c.ID, triggerID)
	d := DecideEntry(f, EntryInput{CustomerID: st.c.ID, Now: st.now, Late: late, Depth: depth, Vars: vars,
		Past: func(key string) EntryPast {
			p := EntryPast{Started: st.byID[id] != nil, Active: st.active(f.ID, key)}
			if en := st.entries[[2]string{f.ID, key}]; en != nil {
				p.LastEntered = en.LastEnteredAt
			}
			return p
		}})
	switch d.Outcome {
	case EntryWhenError:
		b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Str("at", "trigger").Err(d.Err).Msg("condition failed to evaluate; taken as false")
	case EntryKeyError:
		b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Err(d.Err).Msg("entry key failed to evaluate; not entered")
	}
	if !d.Enter {
		return
	}
	key := d.Key
	if d.Restart != nil {
		b.abandon(st, d.Restart, store.Exited, "restart")
	}
	ek := [2]string{f.ID, key}
	if f.Entry.Repeat == dsl.RepeatNever || f.Entry.Repeat == dsl.RepeatAfter {
		en := &store.Entry{CustomerID: st.c.ID, FlowID: f.ID, Key: key, LastEnteredAt: st.now}
		st.entries[ek] = en
		st.newEntry[ek] = en
	}
	j := &store.Journey{
		ID: id, CustomerID: st.c.ID, FlowID: f.ID, FlowVersion: f.Version, Key: key, Status: store.Active,
		EnteredAt: st.now, Depth: depth, Trigger: *trig, Outputs: map[string]store.StepOutput{},
		Holdout: d.Holdout,
	}
	if f.Goal != nil && f.Goal.Within > 0 {
		j.GoalUntil = st.now.Add(f.Goal.Within)
	}
	st.add(j)
	b.counts.journeys[[2]string{"entered", f.ID}]++
	firstStep := ""
	if len(f.Steps) > 0 {
		firstStep = f.Steps[0].ID
	}
	b.note(j, "entered", "", firstStep)
	if len(f.Steps) == 0 {
		b.end(st, j, store.Completed, "")
		return
	}
	b.run(st, j, f, f.Steps[0])
}

// run executes steps from step on, until the journey pauses or ends.
func (b *batch) run(st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) {
	st.mark(j)
	for n := 0; step != nil && j.Status == store.Active; n++ {
		if n >= maxStepsPerRun {
			b.end(st, j, store.Exited, "step limit reached")
			return
		}
		if b.conditionExit(st, j, f) {
			return
		}
		j.StepID = step.ID
		next, pause := stepRunners[step.Kind](b, st, j, f, step)
		if pause {
			return
		}
		step = next
	}
	if j.Status == store.Active {
		b.end(st, j, store.Completed, "")
	}
}

// stepRun runs one step of a journey: it returns the step to go on with, or pause when the
// journey now waits (its timer or awaited event set) or has ended.
type stepRun func(b *batch, st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) (next *dsl.Step, pause bool)

// stepRunners runs each kind of step the flow language declares; a test fails when a kind has
// none, so a new kind cannot be skipped silently.
var stepRunners = map[dsl.StepKind]stepRun{
	dsl.KindSend: func(b *batch, st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		b.send(st, j, f, step)
		return step.Next, false
	},
	dsl.KindWait: func(_ *batch, st *custState, j *store.Journey, _ *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		if step.Wait <= 0 {
			return step.Next, false
		}
		j.WakeAt = st.now.Add(step.Wait)
		return nil, true
	},
	dsl.KindWaitUntil: func(b *batch, st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		t := b.waitUntil(st, j, f, step)
		if !t.After(st.now) {
			return step.Next, false
		}
		j.WakeAt = t
		return nil, true
	},
	dsl.KindWaitFor: func(_ *batch, st *custState, j *store.Journey, _ *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		j.WaitEvent = step.WaitFor.Event
		j.WakeAt = st.now.Add(step.WaitFor.Timeout)
		return nil, true
	},
	dsl.KindIf: func(b *batch, st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		branch := step.Else
		if b.cond(step.If, b.vars(st, j, nil), st, f, step.ID) {
			branch = step.Then
		}
		return first(branch, step.Next), false
	},
	dsl.KindSplit: func(b *batch, st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		v := pickVariant(step.Split, f.ID, step.ID, st.c.ID)
		b.output(j, step.ID, store.StepOutput{Variant: v.Name})
		return first(v.Steps, step.Next), false
	},
	dsl.KindUpdate: func(b *batch, st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		b.update(st, j, f, step)
		return step.Next, false
	},
	dsl.KindEmit: func(b *batch, st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		b.emit(st, j, f, step)
		return step.Next, false
	},
	dsl.KindExit: func(b *batch, st *custState, j *store.Journey, _ *dsl.Flow, step *dsl.Step) (*dsl.Step, bool) {
		b.end(st, j, store.Exited, step.Exit)
		return nil, true
	},
}

// resume continues a journey whose timer has come.
func (b *batch) resume(st *custState, j *store.Journey, f *dsl.Flow) {
	step := f.Index[j.StepID]
	j.WakeAt = time.Time{}
	st.mark(j)
	if step == nil {
		b.end(st, j, store.Exited, "step "+j.StepID+" is not in flow version "+j.FlowVersion)
		return
	}
	if step.Kind == dsl.KindWaitFor {
		j.WaitEvent = ""
		b.output(j, step.ID, store.StepOutput{TimedOut: true})
		if step.WaitFor.ExitOnTimeout {
			b.end(st, j, store.Exited, "wait_for "+step.ID+" timed out")
			return
		}
	}
	b.run(st, j, f, step.Next)
}

// abandon ends a journey the customer left (an exit rule, a restart, its goal): what it still has
// waiting in the outbox, held by a limit or quiet hours, must not go out any more. A journey that
// ends by running out of steps or by its own exit step keeps what it sent.
func (b *batch) abandon(st *custState, j *store.Journey, status, reason string) {
	b.end(st, j, status, reason)
	b.cancelJourney(st, j.ID)
}

// end finishes a journey. A completed journey keeps tracking its goal until the goal's window
// closes; an exited one stops.
func (b *batch) end(st *custState, j *store.Journey, status, reason string) {
	j.Status, j.Reason, j.EndedAt = status, reason, st.now
	j.WakeAt, j.WaitEvent = time.Time{}, ""
	if status != store.Completed {
		j.GoalUntil = time.Time{}
	}
	st.mark(j)
	b.counts.journeys[[2]string{status, j.FlowID}]++
	b.note(j, status, reason, j.StepID)
}

func (b *batch) output(j *store.Journey, stepID string, o store.StepOutput) {
	if j.Outputs == nil {
		j.Outputs = map[string]store.StepOutput{}
	}
	j.Outputs[stepID] = o
}

func first(steps []*dsl.Step, otherwise *dsl.Step) *dsl.Step {
	if len(steps) > 0 {
		return steps[0]
	}
	return otherwise
}

// pickVariant chooses a split's variant from a hash of flow, step and customer, so the customer
// lands in the same variant however often the journey is retried.
func pickVariant(sp *dsl.Split, flowID, stepID, customerID string) *dsl.Variant {
	total := 0
	for _, v := range sp.Variants {
		total += max(v.Weight, 0)
	}
	if total == 0 {
		return sp.Variants[0]
	}
	x := fraction(flowID, stepID, customerID) * float64(total)
	acc := 0.0
	for _, v := range sp.Variants {
		acc += float64(max(v.Weight, 0))
		if x < acc {
			return v
		}
	}
	return sp.Variants[len(sp.Variants)-1]
}
