// Package engine runs flows over customers' events: it applies each event to its customer,
// moves journeys (exits, goals, waits), enters triggered flows and runs them until they pause,
// writing messages to the outbox, all in one transaction per batch.
package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
)

// MaxDepth cuts chains of emitted events: an event emitted at this depth is stored but starts
// nothing, so two flows that emit each other's triggers cannot loop forever.
const MaxDepth = 8

// Options configure an engine.
type Options struct {
	Clock  clock.Clock
	Logger zerolog.Logger
	// BatchSize bounds how many customers one timer or schedule transaction handles.
	BatchSize int
	// Unsubscribe builds a message's unsubscribe link; nil means templates get an empty one.
	Unsubscribe func(customerID, channel, messageID string) string
	// History treats every event as late (see Ingest): customers are updated and journeys already
	// under way see the events, but no journey starts and no date fires. It is for backfills of
	// past orders, which must not send last year's thank-yous today.
	History bool
	// EventTime runs each event, timer and date at its own moment instead of the clock's, so that a
	// simulation can process many moments in one transaction. Customers are independent, so only
	// one customer's work must be in time order, and it is.
	EventTime bool
	// Preview renders only what a timeline shows (subjects, titles, texts), not HTML bodies or
	// webhook payloads: for simulations, never for a store messages are delivered from.
	Preview bool
	// ObserveWake, when set, is told how late each customer that Tick woke was: the clock's time
	// less the time it was due. It is the lag of the timers, measured as they run rather than by
	// reading the tables.
	ObserveWake func(late time.Duration)
}

// Engine runs a flow set over a store. It is safe for concurrent use; several engines (in one
// process or many) may share one store.
type Engine struct {
	store store.Store
	opts  Options
	clock clock.Clock
	log   zerolog.Logger
	flows atomic.Pointer[FlowSet]
	old   sync.Map // flow version -> *dsl.Flow compiled from stored sources, or the string why it cannot run
	Stats Counters
}

// New returns an engine running fs over st.
func New(st store.Store, fs *FlowSet, opts Options) *Engine {
	if opts.Clock == nil {
		opts.Clock = clock.Wall{}
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	e := &Engine{store: st, opts: opts, clock: opts.Clock, log: opts.Logger}
	e.flows.Store(fs)
	return e
}

// Flows returns the flow set in use.
func (e *Engine) Flows() *FlowSet { return e.flows.Load() }

// SetFlows swaps in a new flow set. Journeys in flight keep the version they entered with.
func (e *Engine) SetFlows(ctx context.Context, fs *FlowSet) error {
	if err := e.SaveVersions(ctx, fs); err != nil {
		return err
	}
	e.flows.Store(fs)
	return nil
}

// SaveVersions stores the source of every flow version, with its templates, so that a journey can
// finish on its version after the files changed or the process restarted; and it records the
// workspace as the last one run, for a process that starts while the files on disk are invalid.
func (e *Engine) SaveVersions(ctx context.Context, fs *FlowSet) error {
	return e.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveFlowVersions(ctx, fs.Versions()); err != nil {
			return err
		}
		return tx.SaveWorkspace(ctx, fs.record(e.clock.Now()))
	})
}

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.store }

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// IngestResult says what happened to a batch of events.
type IngestResult struct {
	Stored     int // new events stored and processed
	Duplicates int // events dropped because their id was seen before
}

// Ingest stores and processes events in one transaction: either all of the batch is committed
// with everything it caused, or nothing is.
//
// It is the one way events enter the engine, so it is where they are checked. A batch holding an
// event that can never be stored is refused whole, before anything is stored, with an
// *event.Refused error that lists every problem and that no retry can cure: an incomplete
// envelope, data that does not fit its type in the event catalog (docs/events.md), a value too
// long to index, a time in the future or before 1970.
//
// An event older than policies.late_events when it arrives is late: it is stored, updates the
// customer, resumes wait_for steps and applies exits and goals, but starts no journey. In a
// simulation (EventTime) each event arrives at its own time, so none is late.
func (e *Engine) Ingest(ctx context.Context, evs []event.Event) (IngestResult, error) {
	var res IngestResult
	if len(evs) == 0 {
		return res, nil
	}
	if err := e.check(evs, e.clock.Now()); err != nil {
		return res, err
	}
	stored := make([]store.StoredEvent, 0, len(evs))
	seen := make(map[[2]string]bool, len(evs))
	catalog := e.Flows().Workspace.Products
	for _, ev := range evs {
		enrich(&ev, catalog)
		k := [2]string{ev.Subject, ev.ID}
		if seen[k] {
			res.Duplicates++
			continue
		}
		seen[k] = true
		stored = append(stored, store.StoredEvent{Event: ev})
	}
	var done *batch
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		fresh, err := tx.InsertEvents(ctx, stored)
		if err != nil {
			return err
		}
		var todo []store.StoredEvent
		ids, buyers := map[string]bool{}, map[string]bool{}
		for i, ev := range stored {
			if fresh[i] {
				todo = append(todo, ev)
				ids[ev.Subject] = true
				if isOrderEvent(ev.Type) {
					buyers[ev.Subject] = true
				}
			}
		}
		res.Stored = len(todo)
		res.Duplicates += len(stored) - len(todo)
		if len(todo) == 0 {
			return nil
		}
		b := e.newBatch(ctx, tx)
		cs, err := tx.LockCustomers(ctx, sortedKeys(ids), b.now)
		if err != nil {
			return err
		}
		openAt := b.now
		for _, ev := range todo {
			if e.opts.EventTime && ev.Time.Before(openAt) {
				openAt = ev.Time
			}
		}
		if err := b.load(cs, openAt); err != nil {
			return err
		}
		if err := b.loadOrders(sortedKeys(buyers)); err != nil {
			return err
		}
		// Work that came due before an event happens first: a wait_for that timed out must not see
		// an event that arrived after its timeout, however late the timers run.
		woken := map[string]bool{}
		done = b
		for i := range todo {
			st := b.custs[todo[i].Subject]
			at := b.now
			if e.opts.EventTime && todo[i].Time.Before(b.now) {
				at = todo[i].Time
			}
			if !e.opts.History && (e.opts.EventTime || !woken[st.c.ID]) {
				b.wake(st, at)
				woken[st.c.ID] = true
			}
			if e.opts.EventTime {
				st.now = at
			}
			b.handle(st, todo[i], e.late(b, &todo[i].Event))
		}
		return b.save()
	})
	if store.TooLarge(err) {
		// A value the checks above let through (a computed one) outgrew an index: no retry can
		// store this batch, so it is refused rather than retried forever.
		return IngestResult{}, &event.Refused{Problems: []event.Indexed{{Index: -1, Problem: event.Problem{
			Message: "a value of this batch is too large to store (" + err.Error() + "); shorten the ids and keys it carries"}}}}
	}
	if err != nil {
		return IngestResult{}, err
	}
	if done != nil {
		e.committed(done)
	}
	e.Stats.eventsStored.Add(int64(res.Stored))
	e.Stats.eventsDuplicate.Add(int64(res.Duplicates))
	return res, nil
}

// Check refuses a batch that holds events no retry can store (which Ingest would refuse), with
// every problem indexed in the batch.
func (e *Engine) Check(evs []event.Event) error { return e.check(evs, e.clock.Now()) }

// check refuses a batch holding an event that no retry can store: one that does not fit the
// flow set's event catalog (envelope, limits and data), or whose time it cannot have at now.
func (e *Engine) check(evs []event.Event, now time.Time) error {
	events := e.Flows().Events()
	var ps []event.Indexed
	for i := range evs {
		for _, p := range append(events.Check(&evs[i]), evs[i].CheckTime(now)...) {
			ps = append(ps, event.Indexed{Index: i, Problem: p})
		}
	}
	if len(ps) > 0 {
		return &event.Refused{Problems: ps}
	}
	return nil
}

// late says whether an event arrived too long after its time to start journeys.
func (e *Engine) late(b *batch, ev *event.Event) bool {
	if e.opts.History {
		return true
	}
	return !e.opts.EventTime && b.now.Sub(ev.Time) > b.fs.lateAfter()
}

// PutCustomer creates or updates a customer's attributes without running any flow (used to seed
// scenario tests and imports). Attributes merge as a customer.updated event would.
func (e *Engine) PutCustomer(ctx context.Context, id string, attrs map[string]any) error {
	return e.store.InTx(ctx, func(tx store.Tx) error {
		b := e.newBatch(ctx, tx)
		cs, err := tx.LockCustomers(ctx, []string{id}, b.now)
		if err != nil {
			return err
		}
		if err := b.load(cs, b.now); err != nil {
			return err
		}
		c := b.custs[id]
		ev := event.Event{Type: event.CustomerUpdated, Subject: id, Time: b.now, Data: attrs}
		applyCustomerSeed(c.c, attrs, b.now)
		if note := applyEvent(c.c, &ev, b.now); note != "" {
			return fmt.Errorf("customer %s: %s", id, note)
		}
		c.touch()
		return b.save()
	})
}

// Tick advances due work once: up to BatchSize customers whose timers or date triggers have come,
// in one transaction. It returns how many customers it handled; zero means nothing was due (or
// everything due is held by other processes).
func (e *Engine) Tick(ctx context.Context) (int, error) {
	n := 0
	var lates []time.Duration
	var done *batch
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		b := e.newBatch(ctx, tx)
		done = b
		cs, err := tx.ClaimDue(ctx, b.now, e.opts.BatchSize)
		if err != nil || len(cs) == 0 {
			return err
		}
		n = len(cs)
		lates = lates[:0]
		for _, c := range cs {
			lates = append(lates, b.now.Sub(c.NextWakeAt))
		}
		if err := b.load(cs, b.now); err != nil {
			return err
		}
		for _, c := range cs {
			b.wake(b.custs[c.ID], b.now)
		}
		return b.save()
	})
	if err != nil {
		return 0, err
	}
	e.committed(done)
	e.Stats.customersWoken.Add(int64(n))
	// The earliest due are claimed first, so the latest of them is the oldest due journey.
	oldest := time.Duration(0)
	for _, l := range lates {
		oldest = max(oldest, l)
		if e.opts.ObserveWake != nil {
			e.opts.ObserveWake(l)
		}
	}
	e.Stats.dueLag.Store(int64(oldest))
	return n, nil
}

// RefreshDates recomputes date triggers for customers computed against another set of date flows
// (after a date flow was added or edited), in batches. It returns how many it handled.
func (e *Engine) RefreshDates(ctx context.Context) (int, error) {
	fs := e.Flows()
	n := 0
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		b := e.newBatch(ctx, tx)
		cs, err := tx.ClaimStaleDates(ctx, fs.datesVersion, e.opts.BatchSize)
		if err != nil || len(cs) == 0 {
			return err
		}
		n = len(cs)
		if err := b.load(cs, b.now); err != nil {
			return err
		}
		for _, c := range b.order {
			c.changed = true
		}
		return b.save()
	})
	return n, err
}

// flowFor returns the flow version a journey runs on, compiling a stored older version on demand
// with the templates stored with it. A version that cannot run, because it is not stored or no
// longer compiles, comes with the reason; one that could not be read now, with an error.
func (e *Engine) flowFor(ctx context.Context, tx store.Tx, fs *FlowSet, j *store.Journey) (*dsl.Flow, string, error) {
	if f := fs.versionOf(j.FlowVersion); f != nil {
		return f, "", nil
	}
	if v, ok := e.old.Load(j.FlowVersion); ok {
		if f, ok := v.(*dsl.Flow); ok {
			return f, "", nil
		}
		return nil, v.(string), nil
	}
	// Read through the transaction when it can: a store whose transaction holds its only lock
	// (memory) cannot answer a read from outside it meanwhile.
	var fv *store.FlowVersion
	var err error
	if r, ok := tx.(interface {
		FlowVersion(context.Context, string) (*store.FlowVersion, error)
	}); ok {
		fv, err = r.FlowVersion(ctx, j.FlowVersion)
	} else {
		fv, err = e.store.FlowVersion(ctx, j.FlowVersion)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, e.unrunnable(j.FlowVersion, "it is not in the database"), nil
	}
	if err != nil {
		return nil, "", err
	}
	f, problem := compileVersion(fs.Workspace, fv)
	if f == nil {
		return nil, e.unrunnable(j.FlowVersion, "it no longer compiles: "+problem), nil
	}
	e.old.Store(j.FlowVersion, f)
	return f, "", nil
}

// unrunnable remembers why a version cannot run, so that it is found out once.
func (e *Engine) unrunnable(version, why string) string {
	reason := "flow version " + version + " cannot run: " + why
	e.old.Store(version, reason)
	return reason
}

// compileVersion compiles a stored flow version with the templates stored with it, against the
// workspace's settings and customer schema. A version stored before templates were kept with it
// takes the workspace's. It returns the first error when it does not compile.
func compileVersion(ws *dsl.Workspace, fv *store.FlowVersion) (*dsl.Flow, string) {
	var l diag.List
	templates := ws.Templates
	if fv.Templates != nil {
		templates = map[string]*dsl.Template{}
		for _, t := range fv.Templates {
			if p := dsl.ParseTemplate(t.File, []byte(t.Source), &l); p != nil && p.Name != "" {
				templates[p.Name] = p
			}
		}
	}
	f := dsl.ParseFlow(fv.File, fv.Source, &dsl.Context{Settings: ws.Settings, Templates: templates, Customer: ws.Customer}, &l)
	for _, d := range l.Items() {
		if d.Severity == diag.Error {
			return nil, d.String()
		}
	}
	if f == nil {
		return nil, "it cannot be read"
	}
	return f, ""
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Counters are the engine's running totals, read by the metrics endpoint.
type Counters struct {
	eventsStored    atomic.Int64
	eventsDuplicate atomic.Int64
	eventsLate      atomic.Int64
	customersWoken  atomic.Int64
	dueLag          atomic.Int64 // nanoseconds
	byType          sync.Map     // event type -> *atomic.Int64
	journeys        sync.Map     // kind NUL flow -> *atomic.Int64
	unrunnable      sync.Map     // flow -> *atomic.Int64
}

// Unrunnable returns, by flow, the journeys ended because their flow version could not run.
func (c *Counters) Unrunnable() map[string]int64 {
	out := map[string]int64{}
	c.unrunnable.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// EventsStored is the number of events stored and processed.
func (c *Counters) EventsStored() int64 { return c.eventsStored.Load() }

// EventsLate is the number of events processed as late: they started no journey.
func (c *Counters) EventsLate() int64 { return c.eventsLate.Load() }

// DueLag is how late the oldest due journey was at the last Tick: how long after it was due the
// engine woke it; 0 when nothing was due.
func (c *Counters) DueLag() time.Duration { return time.Duration(c.dueLag.Load()) }

// EventsDuplicate is the number of events dropped as redeliveries.
func (c *Counters) EventsDuplicate() int64 { return c.eventsDuplicate.Load() }

// ByType returns events processed by type.
func (c *Counters) ByType() map[string]int64 {
	out := map[string]int64{}
	c.byType.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

func (c *Counters) add(t tally) {
	c.eventsLate.Add(t.late)
	for typ, n := range t.types {
		v, ok := c.byType.Load(typ)
		if !ok {
			v, _ = c.byType.LoadOrStore(typ, new(atomic.Int64))
		}
		v.(*atomic.Int64).Add(n)
	}
	for k, n := range t.journeys {
		c.count(k[0], k[1], n)
	}
	for flow, n := range t.unrunnable {
		v, ok := c.unrunnable.Load(flow)
		if !ok {
			v, _ = c.unrunnable.LoadOrStore(flow, new(atomic.Int64))
		}
		v.(*atomic.Int64).Add(n)
	}
}

func (c *Counters) count(kind, flow string, n int64) {
	k := kind + "\x00" + flow
	v, ok := c.journeys.Load(k)
	if !ok {
		v, _ = c.journeys.LoadOrStore(k, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(n)
}

// Journeys returns journey counts by flow and kind (entered, completed, exited, converted).
func (c *Counters) Journeys() map[[2]string]int64 {
	out := map[[2]string]int64{}
	c.journeys.Range(func(k, v any) bool {
		kind, flow, _ := strings.Cut(k.(string), "\x00")
		out[[2]string{flow, kind}] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// committed reports what a committed batch did: its counts to the metrics, and at debug level one
// line per journey entered or ended. The lines carry ids only, never the customer's attributes.
func (e *Engine) committed(b *batch) {
	e.Stats.add(b.counts)
	for _, n := range b.journeyLog {
		ev := e.log.Debug().Str("journey", n.j.ID).Str("customer", n.j.CustomerID).Str("flow", n.j.FlowID).
			Str("version", n.j.FlowVersion).Str("step", n.step)
		if n.status == "entered" {
			ev.Msg("journey entered")
			continue
		}
		ev.Str("status", n.status).Str("reason", n.reason).Msg("journey ended")
	}
}

// logsJourneys says whether the log shows the debug lines of journeys entered and ended.
func (e *Engine) logsJourneys() bool {
	return e.log.GetLevel() <= zerolog.DebugLevel && zerolog.GlobalLevel() <= zerolog.DebugLevel
}
