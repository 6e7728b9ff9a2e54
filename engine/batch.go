package engine

import (
	"context"
	"sort"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// batch is the work of one transaction over a set of locked customers. Everything it changes is
// kept in memory and written by save, in a handful of statements whatever the batch size.
type batch struct {
	e         *Engine
	fs        *FlowSet
	ctx       context.Context
	tx        store.Tx
	now       time.Time
	custs     map[string]*custState
	order     []*custState
	emitted   []store.StoredEvent
	messages  []*store.Message
	jvars     map[string]*journeyVars     // journey id -> its variables, built once per batch
	evVars    map[eventKey]map[string]any // an event's `event` or `trigger`, built once per batch
	changeErr error                       // the first change or read the store refused while the batch ran (a cancel, a move, orders)
	scratch   exprs.Vars
	counts    tally // added to the engine's counters only once the transaction commits
	// journeyLog lists the journeys entered and ended, logged only once the transaction commits:
	// a retried batch must not report a journey twice. Nil when the log does not show debug lines.
	journeyLog []journeyNote
}

// journeyNote is a journey that entered (status active) or ended, as it was at that moment.
type journeyNote struct {
	j                    *store.Journey
	status, reason, step string
}

// journeyVars are the parts of a journey's expression variables that change rarely: rebuilding
// them for every condition was most of what a long simulation allocated.
type journeyVars struct {
	trigger, journey, steps map[string]any
	outputs                 int // len(Outputs) when steps was built; outputs are only ever added
}

// custState is one locked customer with its open journeys and entry records.
type custState struct {
	c        *store.Customer
	journeys []*store.Journey
	byID     map[string]*store.Journey
	dirty    map[string]*store.Journey
	entries  map[[2]string]*store.Entry
	newEntry map[[2]string]*store.Entry
	view     map[string]any
	queue    []store.StoredEvent
	changed  bool
	// datesStale says the customer changed since its date triggers were computed.
	datesStale bool
	// now is the moment this customer's work happens at. It is the clock's time, except in a
	// simulation, where each event and each timer runs at its own moment.
	now time.Time
	// orders are the customer's orders by id, once the batch read them (nil before); savedOrders
	// those it changed.
	orders, savedOrders map[string]*store.Order
	// held says until when a journey that may have ended has a message held back in the outbox:
	// such a journey still sees events, for its exit rules and goal. Journeys loaded for that
	// reason count as held for the whole batch; the store's cancel knows what has left since.
	held map[string]time.Time
	// look is what product() and the purchase-history functions read for this customer.
	look *products.Lookup
}

// endOfTime marks a journey as holding a message for as long as the batch lasts.
var endOfTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// hold records that the journey has a message held back until at least until.
func (st *custState) hold(journeyID string, until time.Time) {
	if st.held == nil {
		st.held = map[string]time.Time{}
	}
	if st.held[journeyID].Before(until) {
		st.held[journeyID] = until
	}
}

// holds says whether an ended journey may still have a message waiting to leave.
func (st *custState) holds(j *store.Journey) bool {
	return st.held[j.ID].After(st.now)
}

func (e *Engine) newBatch(ctx context.Context, tx store.Tx) *batch {
	b := &batch{e: e, fs: e.Flows(), ctx: ctx, tx: tx, now: e.clock.Now(), custs: map[string]*custState{},
		counts: tally{types: map[string]int64{}, journeys: map[[2]string]int64{}, unrunnable: map[string]int64{}}}
	if e.logsJourneys() {
		b.journeyLog = []journeyNote{}
	}
	return b
}

// note records a journey entered or ended for the debug log.
func (b *batch) note(j *store.Journey, status, reason, step string) {
	if b.journeyLog != nil {
		b.journeyLog = append(b.journeyLog, journeyNote{j: j, status: status, reason: reason, step: step})
	}
}

// tally is what a batch did, for the metrics. A transaction that fails is retried from scratch,
// so it is counted only when it commits.
type tally struct {
	late       int64               // events processed as late
	types      map[string]int64    // events processed by type
	journeys   map[[2]string]int64 // kind (entered, completed, ...) and flow
	unrunnable map[string]int64    // journeys ended because their version cannot run, by flow
}

// load reads the open journeys and entry records of the locked customers. Journeys count as open
// if they are at openAt, the earliest moment the batch will work at.
func (b *batch) load(cs []*store.Customer, openAt time.Time) error {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
		st := &custState{c: c, byID: map[string]*store.Journey{}, dirty: map[string]*store.Journey{},
			entries: map[[2]string]*store.Entry{}, newEntry: map[[2]string]*store.Entry{}, changed: c.New, datesStale: c.New, now: b.now}
		b.custs[c.ID] = st
		b.order = append(b.order, st)
	}
	js, err := b.tx.OpenJourneys(b.ctx, ids, openAt)
	if err != nil {
		return err
	}
	for _, j := range js {
		st := b.custs[j.CustomerID]
		if st == nil {
			continue
		}
		if !j.Open(openAt) {
			st.hold(j.ID, endOfTime)
		}
		st.journeys = append(st.journeys, j)
		st.byID[j.ID] = j
	}
	if len(b.fs.historyFlows) > 0 {
		es, err := b.tx.Entries(b.ctx, ids, b.fs.historyFlows)
		if err != nil {
			return err
		}
		for _, en := range es {
			if st := b.custs[en.CustomerID]; st != nil {
				st.entries[[2]string{en.FlowID, en.Key}] = en
			}
		}
	}
	return nil
}

// save writes every change of the batch.
func (b *batch) save() error {
	// A cancel or move that failed leaves the batch wrong: nothing of it may be written.
	if b.changeErr != nil {
		return b.changeErr
	}
	var cs []*store.Customer
	var js []*store.Journey
	var es []*store.Entry
	for _, st := range b.order {
		b.refreshDates(st)
		b.pruneSends(st)
		st.c.NextWakeAt = b.nextWake(st)
		cs = append(cs, st.c)
		for _, j := range st.dirty {
			js = append(js, j)
		}
		for _, en := range st.newEntry {
			es = append(es, en)
		}
	}
	if err := b.tx.SaveCustomers(b.ctx, cs); err != nil {
		return err
	}
	if len(js) > 0 {
		sortJourneys(js)
		if err := b.tx.SaveJourneys(b.ctx, js); err != nil {
			return err
		}
	}
	if len(es) > 0 {
		if err := b.tx.SaveEntries(b.ctx, es); err != nil {
			return err
		}
	}
	if os := b.savedOrdersOf(); len(os) > 0 {
		if err := b.tx.SaveOrders(b.ctx, os); err != nil {
			return err
		}
	}
	if len(b.messages) > 0 {
		if err := b.tx.InsertMessages(b.ctx, b.messages); err != nil {
			return err
		}
	}
	if len(b.emitted) > 0 {
		if _, err := b.tx.InsertEvents(b.ctx, b.emitted); err != nil {
			return err
		}
	}
	return nil
}

// nextWake is the earliest moment this customer has due work: a journey's timer or a date trigger.
func (b *batch) nextWake(st *custState) time.Time {
	var t time.Time
	for _, j := range st.journeys {
		if j.Status == store.Active && !j.WakeAt.IsZero() && (t.IsZero() || j.WakeAt.Before(t)) {
			t = j.WakeAt
		}
	}
	for _, d := range st.c.Dates {
		if t.IsZero() || d.Before(t) {
			t = d
		}
	}
	return t
}

// pruneSends forgets sends older than the longest frequency window: they can no longer count.
func (b *batch) pruneSends(st *custState) {
	if len(st.c.Sends) == 0 {
		return
	}
	cut := st.now.Add(-b.fs.maxWindow)
	kept := st.c.Sends[:0]
	for _, s := range st.c.Sends {
		if s.At.After(cut) {
			kept = append(kept, s)
		}
	}
	if len(kept) != len(st.c.Sends) {
		st.changed = true
	}
	st.c.Sends = kept
}

// customer returns the `customer` view, rebuilt after each change.
func (st *custState) customer(t *exprs.Type) map[string]any {
	if st.view == nil {
		st.view = customerVars(st.c, t)
	}
	return st.view
}

func (st *custState) touch() {
	st.view = nil
	st.changed = true
	st.datesStale = true
}

func (st *custState) mark(j *store.Journey) { st.dirty[j.ID] = j }

func (st *custState) add(j *store.Journey) {
	st.journeys = append(st.journeys, j)
	st.byID[j.ID] = j
	st.mark(j)
}

// active returns the customer's active journey in a flow with a key, if any.
func (st *custState) active(flowID, key string) *store.Journey {
	for _, j := range st.journeys {
		if j.Status == store.Active && j.FlowID == flowID && j.Key == key {
			return j
		}
	}
	return nil
}

// handle processes one event of the customer, then the events its journeys emit.
func (b *batch) handle(st *custState, ev store.StoredEvent, late bool) {
	b.event(st, ev, late)
	b.drain(st)
}

// drain processes the events the customer's journeys emitted, depth first, stopping at MaxDepth.
func (b *batch) drain(st *custState) {
	for len(st.queue) > 0 {
		ev := st.queue[0]
		st.queue = st.queue[1:]
		b.emitted = append(b.emitted, ev)
		if ev.Depth >= MaxDepth {
			b.e.log.Warn().Str("customer", st.c.ID).Str("type", ev.Type).Int("depth", ev.Depth).
				Msg("emitted event stored but not processed: flows emitting each other's triggers were cut at the depth limit")
			continue
		}
		b.event(st, ev, false)
	}
}

// event applies one event to the customer and shows it to the customer's open journeys; unless it
// is late, it then enters the flows it triggers.
func (b *batch) event(st *custState, ev store.StoredEvent, late bool) {
	b.counts.types[ev.Type]++
	if late {
		b.counts.late++
	}
	consent := consentValues(st.c)
	if note := applyEvent(st.c, &ev.Event, st.now); note != "" {
		b.e.log.Warn().Str("customer", st.c.ID).Str("event", ev.ID).Msg(note)
	}
	if isOrderEvent(ev.Type) {
		if note := b.applyOrder(st, &ev.Event); note != "" {
			b.e.log.Warn().Str("customer", st.c.ID).Str("event", ev.ID).Msg(note)
		}
	}
	st.touch()
	b.withdrawn(st, consent)
	// Journeys already open see the event first; journeys it starts do not see it again.
	for _, j := range append([]*store.Journey(nil), st.journeys...) {
		if !j.Open(st.now) && !st.holds(j) {
			continue
		}
		f := b.flowFor(st, j)
		if f == nil {
			continue
		}
		b.observe(st, j, f, &ev.Event, late)
	}
	b.checkConditions(st)
	// A late event starts nothing (DecideEntry says so): a journey entered now for an order of
	// last month would send at once what was meant for then.
	for _, f := range b.fs.byEvent[ev.Type] {
		b.enter(st, f, &ev.Event, ev.Depth, ev.ID, late)
	}
}

// flowFor is the flow version journey j runs on. A journey whose version cannot run ends, with
// the reason, a log line and a count, rather than wait for ever; nil then, as when the version
// could not be read now.
func (b *batch) flowFor(st *custState, j *store.Journey) *dsl.Flow {
	f, reason, err := b.e.flowFor(b.ctx, b.tx, b.fs, j)
	if err != nil {
		b.e.log.Warn().Str("journey", j.ID).Str("flow", j.FlowID).Str("version", j.FlowVersion).Err(err).Msg("flow version not read; the journey goes on later")
		return nil
	}
	if f != nil {
		return f
	}
	switch {
	case j.Status == store.Active:
		b.e.log.Error().Str("customer", st.c.ID).Str("journey", j.ID).Str("flow", j.FlowID).Str("version", j.FlowVersion).
			Str("reason", reason).Msg("a journey's flow version cannot run: the journey ends")
		b.end(st, j, store.Exited, reason)
		b.counts.unrunnable[j.FlowID]++
	case !j.GoalUntil.IsZero():
		j.GoalUntil = time.Time{} // an ended journey watching for its goal stops watching
		st.mark(j)
	}
	return nil
}

// checkConditions ends active journeys whose event-less exit rule now holds.
func (b *batch) checkConditions(st *custState) {
	for _, j := range st.journeys {
		if j.Status != store.Active {
			continue
		}
		if f := b.flowFor(st, j); f != nil {
			b.conditionExit(st, j, f)
		}
	}
}

// wake resumes the customer's journeys whose timers have come and fires due date triggers, in the
// order they came due, up to until. In a simulation each runs at its own moment.
func (b *batch) wake(st *custState, until time.Time) {
	// A birthday set by an earlier event of this batch may fall before until.
	b.refreshDates(st)
	for {
		at, j, dateFlow := b.nextDue(st, until)
		if at.IsZero() {
			break
		}
		if b.e.opts.EventTime {
			st.now = at
		}
		if j != nil {
			f := b.flowFor(st, j)
			if f == nil {
				if j.Status == store.Active && !j.WakeAt.After(at) {
					// Its version could not be read now; look again later rather than spin on it.
					j.WakeAt = b.now.Add(time.Hour)
					st.mark(j)
				}
				continue
			}
			b.resume(st, j, f)
		} else {
			b.fireDate(st, dateFlow)
		}
		b.drain(st)
		st.changed = true
	}
	if !b.e.opts.EventTime {
		st.now = b.now
	}
}

// nextDue is the customer's earliest journey timer or date trigger due by until.
func (b *batch) nextDue(st *custState, until time.Time) (time.Time, *store.Journey, *dsl.Flow) {
	var at time.Time
	var jj *store.Journey
	var ff *dsl.Flow
	for _, j := range st.journeys {
		if j.Status == store.Active && !j.WakeAt.IsZero() && !j.WakeAt.After(until) && (at.IsZero() || j.WakeAt.Before(at)) {
			at, jj = j.WakeAt, j
		}
	}
	for _, f := range b.fs.dateFlows {
		if d, ok := st.c.Dates[f.ID]; ok && !d.After(until) && (at.IsZero() || d.Before(at)) {
			at, jj, ff = d, nil, f
		}
	}
	return at, jj, ff
}

// sortJourneys orders journeys by customer and id: saving in one order takes row locks in one order.
func sortJourneys(js []*store.Journey) {
	sort.Slice(js, func(i, k int) bool {
		if js[i].CustomerID != js[k].CustomerID {
			return js[i].CustomerID < js[k].CustomerID
		}
		return js[i].ID < js[k].ID
	})
}

// vars are the names an expression of journey j sees; ev is the event being looked at, if any.
//
// The map is the batch's own and is refilled by the next call: callers use it before they ask
// for another, and expressions do not keep it.
func (b *batch) vars(st *custState, j *store.Journey, ev *event.Event) exprs.Vars {
	v := b.scratch
	if v == nil {
		v = exprs.Vars{}
		b.scratch = v
	}
	clear(v)
	v["customer"], v["now"], v[exprs.LookupName] = st.customer(b.fs.Workspace.Customer), st.now, b.lookup(st)
	if j != nil {
		jv := b.jvars[j.ID]
		if jv == nil {
			if b.jvars == nil {
				b.jvars = map[string]*journeyVars{}
			}
			jv = &journeyVars{trigger: b.eventVars(&j.Trigger),
				journey: map[string]any{"id": j.ID, "flow": j.FlowID, "entered_at": j.EnteredAt}, outputs: -1}
			b.jvars[j.ID] = jv
		}
		if jv.outputs != len(j.Outputs) {
			jv.steps, jv.outputs = b.fs.stepsVars(j.Outputs), len(j.Outputs)
		}
		v["trigger"], v["journey"], v["steps"] = jv.trigger, jv.journey, jv.steps
	}
	if ev != nil {
		v["event"] = b.eventVars(ev)
	}
	return v
}

// eventKey is an event's identity: a customer's events are stored once by id.
type eventKey struct {
	subject, id, typ string
	at               int64
}

// eventVars is an event's `event` (or `trigger`) variable, built once per batch: an order is the
// trigger of several journeys and the event several journeys see.
func (b *batch) eventVars(ev *event.Event) map[string]any {
	k := eventKey{ev.Subject, ev.ID, ev.Type, ev.Time.UnixNano()}
	if v, ok := b.evVars[k]; ok {
		return v
	}
	if b.evVars == nil {
		b.evVars = map[eventKey]map[string]any{}
	}
	v := b.fs.eventVars(ev)
	b.evVars[k] = v
	return v
}

func (fs *FlowSet) stepsVars(out map[string]store.StepOutput) map[string]any {
	m := make(map[string]any, len(out))
	for id, o := range out {
		e := map[string]any{"timed_out": o.TimedOut, "variant": o.Variant}
		if o.Event != nil {
			e["event"] = fs.eventVars(o.Event)
		} else {
			e["event"] = nil
		}
		m[id] = e
	}
	return m
}

// cond evaluates a condition; a failure counts as false and is logged with where it happened.
func (b *batch) cond(p *exprs.Program, v exprs.Vars, st *custState, f *dsl.Flow, where string) bool {
	if p == nil {
		return true
	}
	ok, err := p.Bool(v)
	if err != nil {
		b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Str("at", where).Err(err).Msg("condition failed to evaluate; taken as false")
		return false
	}
	return ok
}
