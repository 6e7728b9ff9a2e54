// Package memstore keeps the engine's state in memory, for simulations and scenario tests. It
// passes the same conformance suite as the PostgreSQL store. A transaction holds the store's one
// lock from start to end, and undoes its changes when it fails.
package memstore

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// Store is an in-memory store.
type Store struct {
	mu         sync.Mutex
	events     map[[2]string]*store.StoredEvent
	customers  map[string]*store.Customer
	ids        []string // customer ids, sorted
	wake       wakeHeap
	journeys   map[string]*store.Journey
	byCustomer map[string][]string                   // journey ids in entry order
	entries    map[string]map[[2]string]*store.Entry // by customer, then flow and key
	messages   map[string]*store.Message
	msgOrder   []string
	msgByCust  map[string][]string       // message ids by customer, in insertion order
	lean       bool                      // keep only a preview of each message's content (NewLean)
	keep       func(*store.Message) bool // the messages a lean store keeps whole (KeepContent)
	wakeOf     map[string]time.Time      // the wake time each customer's heap entry was pushed for
	attempts   map[string][]store.Attempt
	schedules  map[string]*store.Schedule
	versions   map[string]*store.FlowVersion
	workspace  *store.Workspace                   // the last saved
	orders     map[[2]string]orderRef             // (source, order id) of order.placed events -> their customer
	ledger     map[string]map[string]*store.Order // by customer, then order id

	ratesMu sync.Mutex           // apart from mu: a reservation need not wait for a transaction
	rates   map[string]time.Time // the next sending moment of each rate-limited channel
}

// orderRef is the order.placed event CustomerOfOrder answers with: the earliest, then the
// lowest customer id.
type orderRef struct {
	at       time.Time
	customer string
}

func (r orderRef) before(o orderRef) bool {
	if !r.at.Equal(o.at) {
		return r.at.Before(o.at)
	}
	return r.customer < o.customer
}

// New returns an empty store.
func New() *Store {
	return &Store{
		events: map[[2]string]*store.StoredEvent{}, customers: map[string]*store.Customer{},
		journeys: map[string]*store.Journey{}, byCustomer: map[string][]string{}, entries: map[string]map[[2]string]*store.Entry{},
		messages: map[string]*store.Message{}, attempts: map[string][]store.Attempt{},
		schedules: map[string]*store.Schedule{}, versions: map[string]*store.FlowVersion{}, orders: map[[2]string]orderRef{},
		ledger: map[string]map[string]*store.Order{},
		wakeOf: map[string]time.Time{},
	}
}

// Close does nothing; it is there to satisfy store.Store.
func (s *Store) Close() {}

// InTx runs fn with the store locked; a failure undoes every change fn made.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{s: s}
	defer func() {
		if r := recover(); r != nil {
			t.rollback()
			panic(r)
		}
		if err != nil {
			t.rollback()
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(t)
}

type tx struct {
	s    *Store
	undo []func()
}

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

// set records how to restore a map entry before changing it.
// onUndo records how to take back a change if the transaction fails.
func (t *tx) onUndo(f func()) {
	if !t.s.lean {
		t.undo = append(t.undo, f)
	}
}

func set[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	if t.s.lean {
		m[k] = v // a lean store is never rolled back (see NewLean)
		return
	}
	old, had := m[k]
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

func (t *tx) InsertEvents(ctx context.Context, evs []store.StoredEvent) ([]bool, error) {
	fresh := make([]bool, len(evs))
	for i, ev := range evs {
		k := [2]string{ev.Subject, ev.ID}
		if _, ok := t.s.events[k]; ok {
			continue
		}
		c := cloneEvent(&ev)
		set(t, t.s.events, k, c)
		fresh[i] = true
		if c.Type == event.OrderPlaced {
			if id, ok := orderID(c.Data["order_id"]); ok {
				key := [2]string{c.Source, id}
				ref := orderRef{at: c.Time, customer: c.Subject}
				if old, had := t.s.orders[key]; !had || ref.before(old) {
					set(t, t.s.orders, key, ref)
				}
			}
		}
	}
	return fresh, nil
}

// orderID is data.order_id as PostgreSQL's data->>'order_id' reads it.
func orderID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

func (t *tx) LockCustomers(ctx context.Context, ids []string, now time.Time) ([]*store.Customer, error) {
	out := make([]*store.Customer, 0, len(ids))
	for _, id := range ids {
		if c, ok := t.s.customers[id]; ok {
			out = append(out, t.s.customerOut(c))
			continue
		}
		c := &store.Customer{ID: id, Attrs: map[string]any{}, CreatedAt: ts(now)}
		set(t, t.s.customers, id, c)
		t.insertID(id)
		cc := t.s.customerOut(c)
		cc.New = true
		out = append(out, cc)
	}
	return out, nil
}

func (t *tx) insertID(id string) {
	ids := t.s.ids
	i := sort.SearchStrings(ids, id)
	ids = append(ids, "")
	copy(ids[i+1:], ids[i:])
	ids[i] = id
	t.s.ids = ids
	t.undo = append(t.undo, func() {
		j := sort.SearchStrings(t.s.ids, id)
		if j < len(t.s.ids) && t.s.ids[j] == id {
			t.s.ids = append(t.s.ids[:j], t.s.ids[j+1:]...)
		}
	})
}

func (t *tx) ClaimDue(ctx context.Context, now time.Time, limit int) ([]*store.Customer, error) {
	now = ts(now)
	var out []*store.Customer
	var claimed []wakeEntry
	seen := map[string]bool{}
	for len(out) < limit && t.s.wake.Len() > 0 {
		top := t.s.wake[0]
		if top.at.After(now) {
			break
		}
		e := heap.Pop(&t.s.wake).(wakeEntry)
		t.onUndo(func() { heap.Push(&t.s.wake, e) })
		c := t.s.customers[e.id]
		if c == nil || !c.NextWakeAt.Equal(e.at) || seen[e.id] {
			continue // stale: the customer's wake time moved since this entry
		}
		seen[e.id] = true
		claimed = append(claimed, e)
		out = append(out, t.s.customerOut(c))
	}
	// A claimed customer stays due until it is saved with another wake time, as a row does.
	for _, e := range claimed {
		heap.Push(&t.s.wake, e)
		t.onUndo(func() { t.s.wake.remove(e) })
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (t *tx) ClaimStaleDates(ctx context.Context, version string, limit int) ([]*store.Customer, error) {
	var stale []*store.Customer
	for _, id := range t.s.ids {
		if c := t.s.customers[id]; c.DatesVersion != version {
			stale = append(stale, c)
		}
	}
	sort.SliceStable(stale, func(i, j int) bool { return stale[i].DatesVersion < stale[j].DatesVersion })
	if len(stale) > limit {
		stale = stale[:limit]
	}
	out := make([]*store.Customer, len(stale))
	for i, c := range stale {
		out[i] = cloneCustomer(c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (t *tx) LockCustomersAfter(ctx context.Context, after string, limit int) ([]*store.Customer, string, error) {
	i := sort.SearchStrings(t.s.ids, after)
	if i < len(t.s.ids) && t.s.ids[i] == after {
		i++
	}
	var out []*store.Customer
	last := after
	for ; i < len(t.s.ids) && len(out) < limit; i++ {
		out = append(out, t.s.customerOut(t.s.customers[t.s.ids[i]]))
		last = t.s.ids[i]
	}
	return out, last, nil
}

func (t *tx) OpenJourneys(ctx context.Context, customerIDs []string, now time.Time) ([]*store.Journey, error) {
	now = ts(now)
	var out []*store.Journey
	for _, cid := range customerIDs {
		held := map[string]bool{}
		for _, id := range t.s.msgByCust[cid] {
			if m := t.s.messages[id]; m.Status == store.Pending && m.SendAt.After(now) {
				held[m.JourneyID] = true
			}
		}
		for _, jid := range t.s.byCustomer[cid] {
			if j := t.s.journeys[jid]; j.Open(now) || held[jid] {
				out = append(out, t.s.journeyOut(j))
			}
		}
	}
	sortJourneys(out)
	return out, nil
}

func (t *tx) Entries(ctx context.Context, customerIDs, flowIDs []string) ([]*store.Entry, error) {
	flows := map[string]bool{}
	for _, f := range flowIDs {
		flows[f] = true
	}
	var out []*store.Entry
	for _, cid := range customerIDs {
		for k, e := range t.s.entries[cid] {
			if flows[k[0]] {
				c := *e
				out = append(out, &c)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.CustomerID != b.CustomerID {
			return a.CustomerID < b.CustomerID
		}
		if a.FlowID != b.FlowID {
			return a.FlowID < b.FlowID
		}
		return a.Key < b.Key
	})
	return out, nil
}

func (t *tx) SaveCustomers(ctx context.Context, cs []*store.Customer) error {
	for _, c := range cs {
		cc := t.s.customerOut(c)
		cc.New = false
		set(t, t.s.customers, c.ID, cc)
		// The heap already holds an entry for an unchanged wake time.
		if prev, ok := t.s.wakeOf[c.ID]; !cc.NextWakeAt.IsZero() && (!ok || !prev.Equal(cc.NextWakeAt) || c.New) {
			e := wakeEntry{at: cc.NextWakeAt, id: cc.ID}
			heap.Push(&t.s.wake, e)
			t.onUndo(func() { t.s.wake.remove(e) })
		}
		set(t, t.s.wakeOf, c.ID, cc.NextWakeAt)
	}
	return nil
}

func (t *tx) SaveJourneys(ctx context.Context, js []*store.Journey) error {
	for _, j := range js {
		if _, ok := t.s.journeys[j.ID]; !ok {
			cid := j.CustomerID
			prev := t.s.byCustomer[cid]
			// Appending in place is safe to undo: the old slice header does not see the new element.
			set(t, t.s.byCustomer, cid, append(prev, j.ID))
		}
		set(t, t.s.journeys, j.ID, t.s.journeyOut(j))
	}
	return nil
}

func (t *tx) SaveEntries(ctx context.Context, es []*store.Entry) error {
	for _, e := range es {
		c := *e
		c.LastEnteredAt = ts(e.LastEnteredAt)
		inner := t.s.entries[e.CustomerID]
		if inner == nil {
			inner = map[[2]string]*store.Entry{}
			set(t, t.s.entries, e.CustomerID, inner)
		}
		set(t, inner, [2]string{e.FlowID, e.Key}, &c)
	}
	return nil
}

func (t *tx) InsertMessages(ctx context.Context, ms []*store.Message) error {
	for _, m := range ms {
		if _, ok := t.s.messages[m.ID]; ok {
			continue
		}
		c := cloneMessage(m)
		if t.s.lean && (t.s.keep == nil || !t.s.keep(m)) {
			c.Content = preview(c.Content)
		}
		set(t, t.s.messages, m.ID, c)
		t.s.msgOrder = append(t.s.msgOrder, m.ID)
		n := len(t.s.msgOrder)
		t.onUndo(func() { t.s.msgOrder = t.s.msgOrder[:n-1] })
		t.indexMessage(m)
	}
	return nil
}

func (t *tx) LockSchedule(ctx context.Context, flowID string) (*store.Schedule, error) {
	s, ok := t.s.schedules[flowID]
	if !ok {
		s = &store.Schedule{FlowID: flowID}
		set(t, t.s.schedules, flowID, s)
	}
	c := *s
	return &c, nil
}

func (t *tx) SaveSchedule(ctx context.Context, s *store.Schedule) error {
	c := *s
	c.FireAt, c.LastFired = ts(s.FireAt), ts(s.LastFired)
	set(t, t.s.schedules, s.FlowID, &c)
	return nil
}

func (t *tx) SaveFlowVersions(ctx context.Context, vs []store.FlowVersion) error {
	for _, v := range vs {
		if _, ok := t.s.versions[v.Version]; ok {
			continue
		}
		c := v
		c.Templates = append([]store.TemplateSource(nil), v.Templates...)
		if v.Templates != nil && c.Templates == nil {
			c.Templates = []store.TemplateSource{}
		}
		set(t, t.s.versions, v.Version, &c)
	}
	return nil
}

func (t *tx) SaveWorkspace(ctx context.Context, w *store.Workspace) error {
	c := *w
	c.Versions = append([]string(nil), w.Versions...)
	c.Events = append([]store.SourceFile(nil), w.Events...)
	old := t.s.workspace
	t.undo = append(t.undo, func() { t.s.workspace = old })
	t.s.workspace = &c
	return nil
}

func (t *tx) ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*store.Message, error) {
	now, leaseUntil = ts(now), ts(leaseUntil)
	var due []*store.Message
	for _, id := range t.s.msgOrder {
		m := t.s.messages[id]
		if !m.SendAt.After(now) && (m.Status == store.Pending || m.Status == store.Sending && m.LeaseUntil.Before(now)) {
			due = append(due, m)
		}
	}
	sortMessages(due)
	if len(due) > limit {
		due = due[:limit]
	}
	out := make([]*store.Message, len(due))
	for i, m := range due {
		c := cloneMessage(m)
		c.Status, c.LeaseUntil = store.Sending, leaseUntil
		set(t, t.s.messages, m.ID, c)
		out[i] = cloneMessage(c)
	}
	return out, nil
}

func (t *tx) ReleaseMessages(ctx context.Context, ms []*store.Message) error {
	for _, r := range ms {
		m := t.s.messages[r.ID]
		if m == nil || m.CustomerID != r.CustomerID || m.Status != store.Sending || !m.LeaseUntil.Equal(ts(r.LeaseUntil)) {
			continue
		}
		c := cloneMessage(m)
		c.Status, c.LeaseUntil = store.Pending, time.Time{}
		set(t, t.s.messages, m.ID, c)
	}
	return nil
}

func (t *tx) FinishAttempts(ctx context.Context, fs []store.Finish) error {
	for _, f := range fs {
		if err := t.finishAttempt(f.Message, f.Attempt); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) finishAttempt(m *store.Message, a store.Attempt) error {
	if _, ok := t.s.messages[m.ID]; !ok {
		return fmt.Errorf("record attempt %d of message %s: no such message", a.N, m.ID)
	}
	set(t, t.s.messages, m.ID, cloneMessage(m))
	prev := t.s.attempts[m.ID]
	for _, p := range prev {
		if p.N == a.N {
			return nil
		}
	}
	a.MessageID, a.CustomerID, a.At = m.ID, m.CustomerID, ts(a.At)
	set(t, t.s.attempts, m.ID, append(append([]store.Attempt(nil), prev...), a))
	return nil
}

// FlowVersion reads a stored flow version inside the transaction.
func (t *tx) FlowVersion(ctx context.Context, version string) (*store.FlowVersion, error) {
	v, ok := t.s.versions[version]
	if !ok {
		return nil, store.ErrNotFound
	}
	c := *v
	return &c, nil
}
