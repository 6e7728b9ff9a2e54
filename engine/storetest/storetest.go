// Package storetest is the conformance suite every store.Store passes: the in-memory store and
// the PostgreSQL store run the same tests, so that a scenario gives the same result on both.
//
// Stores whose transactions run side by side (PostgreSQL) also run the tests of what one
// transaction sees of another's locks: a store says so by implementing Concurrent. The in-memory
// store runs one transaction at a time, so a second transaction could never start while the first
// holds a lock.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
	"github.com/shopspring/decimal"
)

// Concurrent is implemented by stores that run transactions at the same time.
type Concurrent interface {
	ConcurrentTransactions() bool
}

func concurrent(st store.Store) bool {
	c, ok := st.(Concurrent)
	return ok && c.ConcurrentTransactions()
}

// t0 is the suite's "now": whole seconds in UTC, so records built from it compare exactly.
var t0 = time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)

// Run runs every test of the suite; newStore returns an empty store for each, closed by the suite.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st store.Store)
	}{
		{"InsertEvents/Dedupe", testEventDedupe},
		{"InsertEvents/RoundTrip", testEventRoundTrip},
		{"InTx/Rollback", testRollback},
		{"InTx/Panic", testPanicRollsBack},
		{"LockCustomers/Create", testLockCustomersCreate},
		{"SaveCustomers/RoundTrip", testCustomerRoundTrip},
		{"SaveCustomers/Decimal", testDecimal},
		{"SaveCustomers/Times", testTimes},
		{"SaveCustomers/Upsert", testCustomerUpsert},
		{"ClaimDue", testClaimDue},
		{"ClaimStaleDates", testClaimStaleDates},
		{"LockCustomersAfter", testLockCustomersAfter},
		{"OpenJourneys", testOpenJourneys},
		{"OpenJourneysWithHeldMessages", testOpenJourneysHeld},
		{"SaveJourneys/RoundTrip", testJourneyRoundTrip},
		{"SaveJourneys/Upsert", testJourneyUpsert},
		{"Entries", testEntries},
		{"InsertMessages", testInsertMessages},
		{"CancelPending", testCancelPending},
		{"ClaimMessages", testClaimMessages},
		{"FinishAttempt", testFinishAttempt},
		{"Schedules", testSchedules},
		{"FlowVersions", testFlowVersions},
		{"NextWake", testNextWake},
		{"Stats", testStats},
		{"CustomerOfOrder", testCustomerOfOrder},
		{"NoLostUpdates", testNoLostUpdates},
		{"Concurrent/ClaimDueSkipsLocked", needsConcurrency(testClaimDueSkipsLocked)},
		{"Concurrent/ClaimStaleDatesSkipsLocked", needsConcurrency(testClaimStaleDatesSkipsLocked)},
		{"Concurrent/LockCustomersWaits", needsConcurrency(testLockCustomersWaits)},
		{"Concurrent/LockCustomersAfterWaits", needsConcurrency(testLockCustomersAfterWaits)},
		{"Concurrent/ClaimMessagesSkipsLocked", needsConcurrency(testClaimMessagesSkipsLocked)},
		{"Concurrent/LockScheduleHeld", needsConcurrency(testLockScheduleHeld)},
		{"Concurrent/UncommittedInvisible", needsConcurrency(testUncommittedInvisible)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			// A cleanup, not a defer: it must run after those of transactions a failed test left
			// open, or closing would wait for them forever.
			t.Cleanup(st.Close)
			tc.fn(t, st)
		})
	}
}

func needsConcurrency(fn func(t *testing.T, st store.Store)) func(t *testing.T, st store.Store) {
	return func(t *testing.T, st store.Store) {
		if !concurrent(st) {
			t.Skip("the store runs one transaction at a time")
		}
		fn(t, st)
	}
}

// --- helpers

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func inTx(t *testing.T, st store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := ctxT(t)
	if err := st.InTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("transaction: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func customerIDs(cs []*store.Customer) []string {
	return ids(cs, func(c *store.Customer) string { return c.ID })
}

func journeyIDs(js []*store.Journey) []string {
	return ids(js, func(j *store.Journey) string { return j.ID })
}

func messageIDs(ms []*store.Message) []string {
	return ids(ms, func(m *store.Message) string { return m.ID })
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s differs\n got: %s\nwant: %s\n(%#v)", what, g, w, got)
	}
}

// eqCustomer compares customers, money by value: 0 and 0.00 are one amount however a decimal
// holds them.
func eqCustomer(t *testing.T, what string, got, want *store.Customer) {
	t.Helper()
	if !got.TotalSpent.Equal(want.TotalSpent) {
		t.Errorf("%s: total_spent %s, want %s", what, got.TotalSpent, want.TotalSpent)
	}
	g, w := *got, *want
	g.TotalSpent, w.TotalSpent = decimal.Zero, decimal.Zero
	deepEqual(t, what, &g, &w)
}

func ev(subject, id, typ string, at time.Time, data map[string]any) store.StoredEvent {
	return store.StoredEvent{Event: event.Event{SpecVersion: "1.0", ID: id, Source: "shop", Type: typ, Subject: subject, Time: at, Data: data}}
}

func num(s string) json.Number { return json.Number(s) }

// seed creates customers with the given wake times (zero: none).
func seed(t *testing.T, st store.Store, wake map[string]time.Time) {
	t.Helper()
	var cids []string
	for id := range wake {
		cids = append(cids, id)
	}
	sort.Strings(cids)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, cids, t0)
		if err != nil {
			return err
		}
		for _, c := range cs {
			c.NextWakeAt = wake[c.ID]
		}
		return tx.SaveCustomers(ctx, cs)
	})
}

// held is a transaction kept open in another goroutine.
type held struct {
	release chan bool
	done    chan error
}

// hold runs fn in a transaction in another goroutine and keeps it open, holding what fn locked,
// until end is called.
func hold(t *testing.T, st store.Store, fn func(ctx context.Context, tx store.Tx) error) *held {
	t.Helper()
	h := &held{release: make(chan bool), done: make(chan error, 1)}
	ready := make(chan error, 1)
	ctx := ctxT(t)
	go func() {
		h.done <- st.InTx(ctx, func(tx store.Tx) error {
			err := fn(ctx, tx)
			ready <- err
			if err != nil {
				return err
			}
			if commit := <-h.release; !commit {
				return errRollback
			}
			return nil
		})
	}()
	if err := <-ready; err != nil {
		t.Fatalf("holding transaction: %v", err)
	}
	t.Cleanup(func() {
		select {
		case h.release <- false:
		default:
		}
	})
	return h
}

var errRollback = errors.New("rolled back on purpose")

// end commits or rolls back the held transaction.
func (h *held) end(t *testing.T, commit bool) {
	t.Helper()
	h.release <- commit
	err := <-h.done
	if commit && err != nil {
		t.Fatalf("holding transaction: %v", err)
	}
	if !commit && !errors.Is(err, errRollback) {
		t.Fatalf("holding transaction: got %v, want the rollback", err)
	}
}

// async runs fn in a transaction in another goroutine and reports when it has finished.
func async(t *testing.T, st store.Store, fn func(ctx context.Context, tx store.Tx) error) chan error {
	done := make(chan error, 1)
	ctx := ctxT(t)
	go func() { done <- st.InTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }) }()
	return done
}

// quickly waits for a transaction that must not wait for any lock.
func quickly(t *testing.T, done chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s waited for a lock; it must skip what other transactions hold", what)
	}
}

// stillWaiting checks that a transaction is blocked on a lock.
func stillWaiting(t *testing.T, done chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s finished (err %v) while another transaction held the rows; it must wait", what, err)
	case <-time.After(300 * time.Millisecond):
	}
}

func fail(format string, a ...any) error { return fmt.Errorf(format, a...) }

// --- events

func testEventDedupe(t *testing.T, st store.Store) {
	a1 := ev("alice", "e1", "order.placed", t0, map[string]any{"order_id": "1"})
	a2 := ev("alice", "e2", "order.delivered", t0, nil)
	b1 := ev("bob", "e1", "order.placed", t0, map[string]any{"order_id": "2"}) // same id, other customer: another event
	again := a1
	again.Type = "order.cancelled" // a redelivery is dropped whatever it carries
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		fresh, err := tx.InsertEvents(ctx, []store.StoredEvent{a1, a2, again, b1})
		if err != nil {
			return err
		}
		deepEqual(t, "fresh in one batch", fresh, []bool{true, true, false, true})
		return nil
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		fresh, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("carol", "e9", "x.y", t0, nil), again, b1})
		if err != nil {
			return err
		}
		deepEqual(t, "fresh across transactions", fresh, []bool{true, false, false})
		fresh, err = tx.InsertEvents(ctx, nil)
		if err != nil || len(fresh) != 0 {
			return fail("empty insert: %v %v", fresh, err)
		}
		return nil
	})
	ctx := ctxT(t)
	got, err := st.Event(ctx, "alice", "e1")
	must(t, err)
	if got.Type != "order.placed" {
		t.Errorf("the first copy must be kept; got type %q", got.Type)
	}
	if _, err := st.Event(ctx, "alice", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown event: got %v, want store.ErrNotFound", err)
	}
	if _, err := st.Event(ctx, "carol", "e1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event of another customer: got %v, want store.ErrNotFound", err)
	}
}

func testEventRoundTrip(t *testing.T, st store.Store) {
	data := map[string]any{
		"order_id": "1001",
		"total":    num("59.90"),
		"big":      num("12345678901234567890123"),
		"neg":      num("-0.5"),
		"items":    []any{map[string]any{"sku": "S-1", "quantity": num("2"), "price": num("29.95")}},
		"html":     "<b>Gracias & adiós</b> \u00e9\u4e16",
		"flag":     true,
		"none":     nil,
		"empty":    map[string]any{},
		"list":     []any{},
	}
	e := ev("alice", "e1", "order.placed", time.Date(2025, 10, 14, 15, 0, 0, 123456789, time.FixedZone("PET", -5*3600)), data)
	e.DataContentType = "application/json"
	e.Depth = 3
	noData := ev("alice", "e2", "order.delivered", t0, nil)
	emptyData := ev("alice", "e3", "order.delivered", t0, map[string]any{})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertEvents(ctx, []store.StoredEvent{e, noData, emptyData})
		return err
	})
	ctx := ctxT(t)
	got, err := st.Event(ctx, "alice", "e1")
	must(t, err)
	want := e
	want.Time = time.Date(2025, 10, 14, 20, 0, 0, 123456000, time.UTC)
	deepEqual(t, "event", *got, want)
	if got.Time.Location() != time.UTC {
		t.Errorf("event time in %v, want UTC", got.Time.Location())
	}
	got, err = st.Event(ctx, "alice", "e2")
	must(t, err)
	if got.Data != nil {
		t.Errorf("event without data: got data %#v, want nil", got.Data)
	}
	got, err = st.Event(ctx, "alice", "e3")
	must(t, err)
	if got.Data == nil || len(got.Data) != 0 {
		t.Errorf("event with empty data: got %#v, want an empty map", got.Data)
	}
}

// --- transactions

func testRollback(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"old": t0.Add(time.Hour)})
	boom := errors.New("boom")
	ctx := ctxT(t)
	err := st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("ann", "e1", "order.placed", t0, map[string]any{"order_id": "7"})}); err != nil {
			return err
		}
		cs, err := tx.LockCustomers(ctx, []string{"ann", "old"}, t0)
		if err != nil {
			return err
		}
		cs[1].Attrs["changed"] = true
		cs[1].NextWakeAt = t0.Add(-time.Hour)
		if err := tx.SaveCustomers(ctx, cs); err != nil {
			return err
		}
		if err := tx.SaveJourneys(ctx, []*store.Journey{journey("ann", "j1", "f", store.Active, t0)}); err != nil {
			return err
		}
		if err := tx.SaveEntries(ctx, []*store.Entry{{CustomerID: "ann", FlowID: "f", Key: "k", LastEnteredAt: t0}}); err != nil {
			return err
		}
		if err := tx.InsertMessages(ctx, []*store.Message{newMessage("ann", "m1", store.Pending, t0)}); err != nil {
			return err
		}
		if _, err := tx.LockSchedule(ctx, "sched"); err != nil {
			return err
		}
		if err := tx.SaveSchedule(ctx, &store.Schedule{FlowID: "sched2", Spec: "x"}); err != nil {
			return err
		}
		if err := tx.SaveFlowVersions(ctx, []store.FlowVersion{{Version: "v1", FlowID: "f", Source: []byte("id: f")}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}
	if _, err := st.Event(ctx, "ann", "e1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event survived the rollback (%v)", err)
	}
	if _, err := st.Customer(ctx, "ann"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("created customer survived the rollback (%v)", err)
	}
	old, err := st.Customer(ctx, "old")
	must(t, err)
	if old.Attrs["changed"] != nil || !old.NextWakeAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("customer change survived the rollback: %+v", old)
	}
	if js, _ := st.Journeys(ctx, store.JourneyFilter{}); len(js) != 0 {
		t.Errorf("journeys survived the rollback: %q", journeyIDs(js))
	}
	if ms, _ := st.Messages(ctx, store.MessageFilter{}); len(ms) != 0 {
		t.Errorf("messages survived the rollback: %q", messageIDs(ms))
	}
	if ss, _ := st.Schedules(ctx); len(ss) != 0 {
		t.Errorf("schedules survived the rollback: %+v", ss)
	}
	if _, err := st.FlowVersion(ctx, "v1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("flow version survived the rollback (%v)", err)
	}
	if w, ok, _ := st.NextWake(ctx); !ok || !w.Equal(t0.Add(time.Hour)) {
		t.Errorf("NextWake after rollback: %v %v, want %v", w, ok, t0.Add(time.Hour))
	}
	if _, found, _ := st.CustomerOfOrder(ctx, "shop", "7"); found {
		t.Errorf("order lookup found an event that was rolled back")
	}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		es, err := tx.Entries(ctx, []string{"ann"}, []string{"f"})
		if err != nil || len(es) != 0 {
			return fail("entries survived the rollback: %v %v", es, err)
		}
		fresh, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("ann", "e1", "order.placed", t0, nil)})
		if err != nil {
			return err
		}
		if !fresh[0] {
			t.Errorf("an event rolled back must be fresh when it comes again")
		}
		cs, err := tx.LockCustomers(ctx, []string{"ann"}, t0)
		if err != nil {
			return err
		}
		if !cs[0].New {
			t.Errorf("a customer whose creation was rolled back must be new again")
		}
		return nil
	})
}

func testPanicRollsBack(t *testing.T, st store.Store) {
	ctx := ctxT(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("InTx swallowed a panic")
			}
		}()
		_ = st.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.LockCustomers(ctx, []string{"pan"}, t0); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if _, err := st.Customer(ctx, "pan"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("customer created before a panic survived (%v)", err)
	}
	// The store still works.
	seed(t, st, map[string]time.Time{"after": {}})
}

// --- customers

func testLockCustomersCreate(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"a", "c"}, t0)
		if err != nil {
			return err
		}
		sameIDs(t, "locked", customerIDs(cs), []string{"a", "c"})
		for _, c := range cs {
			if !c.New || !c.CreatedAt.Equal(t0) || c.Attrs == nil || len(c.Attrs) != 0 || c.OrdersCount != 0 || !c.TotalSpent.IsZero() || !c.NextWakeAt.IsZero() {
				t.Errorf("new customer %+v: want New, CreatedAt now, empty non-nil attributes, no orders, no wake time", c)
			}
		}
		return tx.SaveCustomers(ctx, cs)
	})
	later := t0.Add(time.Hour)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"a", "b", "c", "d"}, later)
		if err != nil {
			return err
		}
		sameIDs(t, "locked", customerIDs(cs), []string{"a", "b", "c", "d"})
		for _, c := range cs {
			wantNew := c.ID == "b" || c.ID == "d"
			if c.New != wantNew {
				t.Errorf("customer %s: New %v, want %v", c.ID, c.New, wantNew)
			}
			if want := map[bool]time.Time{true: later, false: t0}[wantNew]; !c.CreatedAt.Equal(want) {
				t.Errorf("customer %s: CreatedAt %v, want %v", c.ID, c.CreatedAt, want)
			}
		}
		return nil
	})
	// LockCustomers creates even when the transaction saves nothing else.
	c, err := st.Customer(ctxT(t), "d")
	must(t, err)
	if c.New {
		t.Errorf("a customer read back must not be New")
	}
	if _, err := st.Customer(ctxT(t), "zz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown customer: got %v, want store.ErrNotFound", err)
	}
}

func fullCustomer(id string) *store.Customer {
	return &store.Customer{
		ID: id,
		Attrs: map[string]any{
			"email": "laura@example.com", "first_name": "Laura", "locale": "es", "timezone": "America/Lima",
			"consent":        map[string]any{"email": true, "sms": false, "push": nil},
			"loyalty_points": num("1250"), "ratio": num("0.125"), "shopify_id": num("7390123456789012345678"),
			"tags": []any{"vip", "es"}, "birthday": "1990-05-02",
		},
		CreatedAt:    t0.Add(-48 * time.Hour),
		OrdersCount:  3,
		TotalSpent:   decimal.RequireFromString("179.70"),
		FirstOrderAt: t0.Add(-24 * time.Hour),
		LastOrderAt:  t0,
		Sends:        []store.SendMark{{At: t0.Add(-time.Hour), Channel: "email", Category: "marketing"}, {At: t0, Channel: "sms", Category: "marketing"}},
		Dates:        map[string]time.Time{"birthday": time.Date(2026, 5, 2, 14, 0, 0, 0, time.UTC), "anniversary": time.Date(2026, 10, 12, 15, 0, 0, 0, time.UTC)},
		DatesVersion: "dv1",
		NextWakeAt:   t0.Add(72 * time.Hour),
	}
}

func testCustomerRoundTrip(t *testing.T, st store.Store) {
	in := fullCustomer("laura")
	bare := &store.Customer{ID: "bare", Attrs: map[string]any{}, CreatedAt: t0}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, []string{"bare", "laura"}, t0); err != nil {
			return err
		}
		return tx.SaveCustomers(ctx, []*store.Customer{bare, in})
	})
	got, err := st.Customer(ctxT(t), "laura")
	must(t, err)
	eqCustomer(t, "customer", got, fullCustomer("laura"))
	got, err = st.Customer(ctxT(t), "bare")
	must(t, err)
	eqCustomer(t, "customer without orders, sends or dates", got, bare)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"laura"}, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		eqCustomer(t, "customer locked", cs[0], fullCustomer("laura"))
		return nil
	})
	// A caller changing what it got changes nothing stored.
	got.Attrs["email"] = "changed"
	again, err := st.Customer(ctxT(t), "bare")
	must(t, err)
	if again.Attrs["email"] != nil {
		t.Errorf("the store shares its maps with callers")
	}
}

func testDecimal(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"d"}, t0)
		if err != nil {
			return err
		}
		cs[0].TotalSpent = decimal.RequireFromString("0.10")
		return tx.SaveCustomers(ctx, cs)
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"d"}, t0)
		if err != nil {
			return err
		}
		cs[0].TotalSpent = cs[0].TotalSpent.Add(decimal.RequireFromString("0.20"))
		return tx.SaveCustomers(ctx, cs)
	})
	c, err := st.Customer(ctxT(t), "d")
	must(t, err)
	if !c.TotalSpent.Equal(decimal.RequireFromString("0.30")) || c.TotalSpent.String() != "0.3" {
		t.Errorf("0.10 + 0.20 = %s, want exactly 0.30", c.TotalSpent)
	}
	big := decimal.RequireFromString("123456789012345678901234567890.123456789")
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		c.TotalSpent = big
		return tx.SaveCustomers(ctx, []*store.Customer{c})
	})
	c, err = st.Customer(ctxT(t), "d")
	must(t, err)
	if !c.TotalSpent.Equal(big) {
		t.Errorf("total_spent %s, want %s", c.TotalSpent, big)
	}
}

func testTimes(t *testing.T, st store.Store) {
	lima := time.FixedZone("PET", -5*3600)
	at := time.Date(2025, 10, 14, 15, 0, 0, 123456789, lima) // 20:00:00.123456789Z
	want := time.Date(2025, 10, 14, 20, 0, 0, 123456000, time.UTC)
	old := time.Date(1969, 7, 20, 20, 17, 40, 999999999, time.UTC)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"t"}, at)
		if err != nil {
			return err
		}
		c := cs[0]
		c.FirstOrderAt, c.LastOrderAt, c.NextWakeAt = old, at, at
		if err := tx.SaveCustomers(ctx, cs); err != nil {
			return err
		}
		j := journey("t", "j", "f", store.Active, at)
		j.WakeAt, j.GoalUntil = at, at.Add(time.Hour)
		if err := tx.SaveJourneys(ctx, []*store.Journey{j}); err != nil {
			return err
		}
		m := newMessage("t", "m", store.Pending, at)
		m.CreatedAt = at
		return tx.InsertMessages(ctx, []*store.Message{m})
	})
	check := func(what string, got, want time.Time) {
		t.Helper()
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: got %s, want %s (the microsecond, in UTC)", what, got.Format(time.RFC3339Nano+" MST"), want.Format(time.RFC3339Nano))
		}
	}
	c, err := st.Customer(ctxT(t), "t")
	must(t, err)
	check("created_at", c.CreatedAt, want)
	check("first_order_at before 1970", c.FirstOrderAt, time.Date(1969, 7, 20, 20, 17, 40, 999999000, time.UTC))
	check("last_order_at", c.LastOrderAt, want)
	check("next_wake_at", c.NextWakeAt, want)
	js, err := st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "t"})
	must(t, err)
	check("entered_at", js[0].EnteredAt, want)
	check("wake_at", js[0].WakeAt, want)
	check("goal_until", js[0].GoalUntil, want.Add(time.Hour))
	if !js[0].EndedAt.IsZero() || !js[0].ConvertedAt.IsZero() {
		t.Errorf("unset times must come back zero: %v %v", js[0].EndedAt, js[0].ConvertedAt)
	}
	ms, err := st.Messages(ctxT(t), store.MessageFilter{CustomerID: "t"})
	must(t, err)
	check("send_at", ms[0].SendAt, want)
	check("message created_at", ms[0].CreatedAt, want)
	// The wake time was cut, not rounded: at the instant stored it is due, a microsecond before it is not.
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, want.Add(-time.Microsecond), 10)
		if err != nil || len(cs) != 0 {
			return fail("claimed %v before its time (%v)", customerIDs(cs), err)
		}
		cs, err = tx.ClaimDue(ctx, want, 10)
		if err != nil || len(cs) != 1 {
			return fail("not claimed at its time: %v (%v)", customerIDs(cs), err)
		}
		return nil
	})
}

func testCustomerUpsert(t *testing.T, st store.Store) {
	c := fullCustomer("u")
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, []string{"u"}, t0); err != nil {
			return err
		}
		if err := tx.SaveCustomers(ctx, []*store.Customer{c}); err != nil {
			return err
		}
		return tx.SaveCustomers(ctx, []*store.Customer{c})
	})
	got, err := st.Customer(ctxT(t), "u")
	must(t, err)
	eqCustomer(t, "customer saved twice", got, fullCustomer("u"))
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		first := fullCustomer("u")
		first.OrdersCount = 10
		second := fullCustomer("u")
		second.OrdersCount = 11
		second.Attrs = map[string]any{"email": "new@example.com"}
		second.Sends, second.Dates, second.DatesVersion, second.NextWakeAt = nil, nil, "", time.Time{}
		return tx.SaveCustomers(ctx, []*store.Customer{first, second})
	})
	got, err = st.Customer(ctxT(t), "u")
	must(t, err)
	if got.OrdersCount != 11 || !reflect.DeepEqual(got.Attrs, map[string]any{"email": "new@example.com"}) ||
		got.Sends != nil || got.Dates != nil || got.DatesVersion != "" || !got.NextWakeAt.IsZero() {
		t.Errorf("the last of two saves in one call must win, clearing what it cleared: %+v", got)
	}
}

func testClaimDue(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{
		"c1": t0.Add(-time.Hour), "c2": t0.Add(time.Hour), "c3": t0.Add(-3 * time.Hour), "c4": {},
		"c5": t0.Add(-2 * time.Hour), "c6": t0, "c7": t0.Add(-2 * time.Hour),
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 3)
		if err != nil {
			return err
		}
		// The three earliest (c5 and c7 tie: by id), returned in id order.
		sameIDs(t, "ClaimDue limit 3", customerIDs(cs), []string{"c3", "c5", "c7"})
		for _, c := range cs {
			if c.New {
				t.Errorf("claimed customer %s marked New", c.ID)
			}
		}
		return nil
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		// Nothing was saved: the same customers are due again, with the others.
		cs, err := tx.ClaimDue(ctx, t0, 100)
		if err != nil {
			return err
		}
		sameIDs(t, "ClaimDue all due", customerIDs(cs), []string{"c1", "c3", "c5", "c6", "c7"})
		for _, c := range cs {
			c.NextWakeAt = map[string]time.Time{"c1": t0.Add(-time.Hour), "c3": {}}[c.ID]
			if c.ID == "c5" || c.ID == "c6" || c.ID == "c7" {
				c.NextWakeAt = t0.Add(24 * time.Hour)
			}
		}
		return tx.SaveCustomers(ctx, cs)
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 100)
		if err != nil {
			return err
		}
		sameIDs(t, "ClaimDue after saving new wake times", customerIDs(cs), []string{"c1"})
		cs, err = tx.ClaimDue(ctx, t0.Add(24*time.Hour), 100)
		if err != nil {
			return err
		}
		sameIDs(t, "ClaimDue a day later", customerIDs(cs), []string{"c1", "c2", "c5", "c6", "c7"})
		return nil
	})
}

func testClaimStaleDates(t *testing.T, st store.Store) {
	versions := map[string]string{"a": "v2", "b": "", "c": "v1", "d": "v3", "e": "v2", "f": "", "g": "v1"}
	var all []string
	for id := range versions {
		all = append(all, id)
	}
	sort.Strings(all)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, all, t0)
		if err != nil {
			return err
		}
		for _, c := range cs {
			c.DatesVersion = versions[c.ID]
		}
		return tx.SaveCustomers(ctx, cs)
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimStaleDates(ctx, "v2", 3)
		if err != nil {
			return err
		}
		// (DatesVersion, id) order: b and f (""), then c ("v1"); returned by id.
		sameIDs(t, "ClaimStaleDates limit 3", customerIDs(cs), []string{"b", "c", "f"})
		return nil
	})
	seen := map[string]bool{}
	for round := 0; round < 10; round++ {
		n := 0
		inTx(t, st, func(ctx context.Context, tx store.Tx) error {
			cs, err := tx.ClaimStaleDates(ctx, "v2", 2)
			if err != nil {
				return err
			}
			n = len(cs)
			if n > 2 {
				t.Errorf("ClaimStaleDates returned %d customers, limit 2", n)
			}
			if !sort.StringsAreSorted(customerIDs(cs)) {
				t.Errorf("ClaimStaleDates returned %q, want id order", customerIDs(cs))
			}
			for _, c := range cs {
				if c.DatesVersion == "v2" {
					t.Errorf("customer %s is up to date and was claimed", c.ID)
				}
				seen[c.ID] = true
				c.DatesVersion = "v2"
			}
			return tx.SaveCustomers(ctx, cs)
		})
		if n == 0 {
			break
		}
	}
	var got []string
	for id := range seen {
		got = append(got, id)
	}
	sort.Strings(got)
	sameIDs(t, "every stale customer claimed once", got, []string{"b", "c", "d", "f", "g"})
}

func testLockCustomersAfter(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}, "B": {}, "c": {}, "d": {}, "e": {}})
	type page struct {
		ids  []string
		last string
	}
	var pages []page
	after := ""
	for i := 0; i < 6; i++ {
		inTx(t, st, func(ctx context.Context, tx store.Tx) error {
			cs, last, err := tx.LockCustomersAfter(ctx, after, 2)
			if err != nil {
				return err
			}
			pages = append(pages, page{customerIDs(cs), last})
			after = last
			return nil
		})
	}
	// Byte order: "B" before "a".
	want := []page{{[]string{"B", "a"}, "a"}, {[]string{"b", "c"}, "c"}, {[]string{"d", "e"}, "e"}, {nil, "e"}, {nil, "e"}, {nil, "e"}}
	for i := range want {
		if len(pages[i].ids) == 0 {
			pages[i].ids = nil
		}
	}
	deepEqual(t, "pages", pages, want)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, last, err := tx.LockCustomersAfter(ctx, "bb", 10)
		if err != nil {
			return err
		}
		sameIDs(t, "after an id that does not exist", customerIDs(cs), []string{"c", "d", "e"})
		if last != "e" {
			t.Errorf("last %q, want e", last)
		}
		return nil
	})
}

// --- journeys

func journey(customer, id, flow, status string, entered time.Time) *store.Journey {
	return &store.Journey{
		ID: id, CustomerID: customer, FlowID: flow, FlowVersion: flow + "@1", Key: "", Status: status, StepID: "thanks",
		EnteredAt: t0Or(entered),
		Trigger:   event.Event{SpecVersion: "1.0", ID: "trig-" + id, Source: "shop", Type: "order.placed", Subject: customer, Time: t0Or(entered), Data: map[string]any{"order_id": "1"}},
	}
}

func t0Or(t time.Time) time.Time {
	if t.IsZero() {
		return t0
	}
	return t
}

func testOpenJourneys(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"c1": {}, "c2": {}, "c3": {}})
	active := journey("c1", "j-active", "f1", store.Active, t0.Add(-time.Hour))
	sameTimeB := journey("c1", "j-b", "f2", store.Active, t0.Add(-2*time.Hour))
	sameTimeA := journey("c1", "j-a", "f3", store.Active, t0.Add(-2*time.Hour))
	completed := journey("c1", "j-completed", "f1", store.Completed, t0.Add(-3*time.Hour))
	completed.EndedAt = t0.Add(-time.Hour)
	goalOpen := journey("c1", "j-goal-open", "f1", store.Exited, t0.Add(-4*time.Hour))
	goalOpen.EndedAt, goalOpen.GoalUntil = t0.Add(-time.Hour), t0.Add(time.Hour)
	goalPast := journey("c1", "j-goal-past", "f1", store.Completed, t0.Add(-5*time.Hour))
	goalPast.EndedAt, goalPast.GoalUntil = t0.Add(-2*time.Hour), t0.Add(-time.Minute)
	goalAtNow := journey("c1", "j-goal-now", "f1", store.Completed, t0.Add(-5*time.Hour))
	goalAtNow.GoalUntil = t0 // the window is open before its end, not at it
	converted := journey("c1", "j-converted", "f1", store.Converted, t0.Add(-6*time.Hour))
	converted.EndedAt, converted.GoalUntil, converted.ConvertedAt = t0.Add(-time.Hour), t0.Add(time.Hour), t0.Add(-time.Hour)
	other := journey("c2", "j-c2", "f1", store.Active, t0.Add(-time.Hour))
	notAsked := journey("c3", "j-c3", "f1", store.Active, t0.Add(-time.Hour))
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveJourneys(ctx, []*store.Journey{active, completed, converted, goalAtNow, goalOpen, goalPast, sameTimeA, sameTimeB, other, notAsked})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		js, err := tx.OpenJourneys(ctx, []string{"c1", "c2"}, t0)
		if err != nil {
			return err
		}
		sameIDs(t, "open journeys", journeyIDs(js), []string{"j-goal-open", "j-a", "j-b", "j-active", "j-c2"})
		js, err = tx.OpenJourneys(ctx, []string{"c1"}, t0.Add(2*time.Hour))
		if err != nil {
			return err
		}
		sameIDs(t, "open journeys once the goal window closed", journeyIDs(js), []string{"j-a", "j-b", "j-active"})
		js, err = tx.OpenJourneys(ctx, []string{"nobody"}, t0)
		if err != nil || len(js) != 0 {
			return fail("journeys of an unknown customer: %v %v", journeyIDs(js), err)
		}
		return nil
	})
}

// A journey that ended with a message held back (by a limit, by quiet hours) is still shown to
// the customer's events until that message leaves, so that an exit or a goal can stop it.
func testOpenJourneysHeld(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"c1": {}})
	held := journey("c1", "j-held", "f1", store.Completed, t0.Add(-3*time.Hour))
	heldGoal := journey("c1", "j-held-goal", "f1", store.Completed, t0.Add(-4*time.Hour))
	heldGoal.GoalUntil = t0.Add(time.Hour)
	sent := journey("c1", "j-sent", "f1", store.Completed, t0.Add(-5*time.Hour))
	skipped := journey("c1", "j-skipped", "f1", store.Completed, t0.Add(-6*time.Hour))
	due := journey("c1", "j-due", "f1", store.Completed, t0.Add(-7*time.Hour))
	msg := func(id, journeyID, status string, at time.Time) *store.Message {
		m := newMessage("c1", id, status, at)
		m.JourneyID = journeyID
		return m
	}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if err := tx.SaveJourneys(ctx, []*store.Journey{held, heldGoal, sent, skipped, due}); err != nil {
			return err
		}
		return tx.InsertMessages(ctx, []*store.Message{
			msg("m-held", "j-held", store.Pending, t0.Add(time.Hour)),
			msg("m-held-goal", "j-held-goal", store.Pending, t0.Add(30*time.Minute)),
			msg("m-held-goal-2", "j-held-goal", store.Pending, t0.Add(40*time.Minute)),
			msg("m-sent", "j-sent", store.Sent, t0.Add(time.Hour)),
			msg("m-skipped", "j-skipped", store.Skipped, t0.Add(time.Hour)),
			msg("m-due", "j-due", store.Pending, t0),
		})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		js, err := tx.OpenJourneys(ctx, []string{"c1"}, t0)
		if err != nil {
			return err
		}
		sameIDs(t, "journeys open or holding a message", journeyIDs(js), []string{"j-held-goal", "j-held"})
		js, err = tx.OpenJourneys(ctx, []string{"c1"}, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		sameIDs(t, "once the held messages are due", journeyIDs(js), nil)
		return nil
	})
}

func fullJourney() *store.Journey {
	lima := time.FixedZone("", -5*3600)
	waited := event.Event{SpecVersion: "1.0", ID: "del-1", Source: "shopify/aurora", Type: "order.delivered", Subject: "laura",
		Time: time.Date(2025, 10, 16, 9, 30, 0, 500, lima), Data: map[string]any{"order_id": "1001", "tracking": map[string]any{"number": num("123456789012345678901")}}}
	return &store.Journey{
		ID: "j1", CustomerID: "laura", FlowID: "thank-you-nps", FlowVersion: "sha256:abc", Key: "1001", Status: store.Active,
		StepID: "nps", WakeAt: t0.Add(72 * time.Hour), WaitEvent: "review.submitted", EnteredAt: t0, Reason: "", Holdout: true, Depth: 2,
		Trigger: event.Event{SpecVersion: "1.0", ID: "ord-1", Source: "shopify/aurora", Type: "order.placed", Subject: "laura", Time: t0,
			DataContentType: "application/json",
			Data: map[string]any{"order_id": "1001", "total": num("59.90"), "currency": "PEN",
				"items": []any{map[string]any{"sku": "SER-30", "quantity": num("1"), "price": num("59.90")}}}},
		Outputs: map[string]store.StepOutput{
			"wait_delivery": {Event: &waited},
			"wait_review":   {TimedOut: true},
			"split":         {Variant: "b"},
		},
		GoalUntil: t0.Add(30 * 24 * time.Hour),
	}
}

func testJourneyRoundTrip(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"laura": {}, "zed": {}})
	ended := journey("zed", "j2", "welcome", store.Exited, t0.Add(time.Minute))
	ended.EndedAt, ended.Reason, ended.ConvertedAt = t0.Add(time.Hour), "exit: unsubscribed", t0.Add(time.Hour)
	ended.Trigger.Data = nil
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveJourneys(ctx, []*store.Journey{fullJourney(), ended})
	})
	js, err := st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "laura"})
	must(t, err)
	if len(js) != 1 {
		t.Fatalf("journeys of laura: %q", journeyIDs(js))
	}
	want := fullJourney()
	got := js[0]
	// A time inside JSON keeps its instant; its zone may come back as a bare offset.
	gw, ww := got.Outputs["wait_delivery"].Event, want.Outputs["wait_delivery"].Event
	if gw == nil || !gw.Time.Equal(ww.Time) {
		t.Errorf("wait_for event time: got %v, want %v", gw, ww.Time)
	} else {
		gw.Time = ww.Time
	}
	deepEqual(t, "journey", got, want)
	js, err = st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "zed"})
	must(t, err)
	deepEqual(t, "ended journey", js[0], ended)
	for _, tc := range []struct {
		f    store.JourneyFilter
		want []string
	}{
		{store.JourneyFilter{}, []string{"j1", "j2"}},
		{store.JourneyFilter{FlowID: "welcome"}, []string{"j2"}},
		{store.JourneyFilter{Status: store.Active}, []string{"j1"}},
		{store.JourneyFilter{CustomerID: "zed", Status: store.Active}, nil},
		{store.JourneyFilter{CustomerID: "laura", FlowID: "thank-you-nps", Status: store.Active}, []string{"j1"}},
	} {
		js, err := st.Journeys(ctxT(t), tc.f)
		must(t, err)
		sameIDs(t, fmt.Sprintf("Journeys(%+v)", tc.f), journeyIDs(js), tc.want)
	}
}

func testJourneyUpsert(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	j := journey("a", "j1", "f", store.Active, t0)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveJourneys(ctx, []*store.Journey{j, journey("b", "j3", "f", store.Active, t0.Add(-time.Hour)), journey("a", "j2", "f", store.Active, t0)})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		j.Status, j.StepID, j.EndedAt, j.Outputs = store.Completed, "last", t0.Add(time.Hour), map[string]store.StepOutput{"s": {Variant: "a"}}
		if err := tx.SaveJourneys(ctx, []*store.Journey{j}); err != nil {
			return err
		}
		return tx.SaveJourneys(ctx, []*store.Journey{j})
	})
	js, err := st.Journeys(ctxT(t), store.JourneyFilter{})
	must(t, err)
	// By customer, entry time, then id.
	sameIDs(t, "journeys", journeyIDs(js), []string{"j1", "j2", "j3"})
	deepEqual(t, "journey updated", js[0], j)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		a := journey("a", "j2", "f", store.Active, t0)
		a.StepID = "first"
		b := journey("a", "j2", "f", store.Exited, t0)
		b.StepID = "second"
		return tx.SaveJourneys(ctx, []*store.Journey{a, b})
	})
	js, err = st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "a"})
	must(t, err)
	if len(js) != 2 || js[1].StepID != "second" || js[1].Status != store.Exited {
		t.Errorf("the last of two saves of one journey in one call must win: %+v", js)
	}
}

func testEntries(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"c1": {}, "c2": {}, "c3": {}})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveEntries(ctx, []*store.Entry{
			{CustomerID: "c1", FlowID: "f1", Key: "", LastEnteredAt: t0},
			{CustomerID: "c1", FlowID: "f1", Key: "sku-2", LastEnteredAt: t0.Add(time.Hour)},
			{CustomerID: "c1", FlowID: "f2", Key: "", LastEnteredAt: t0},
			{CustomerID: "c2", FlowID: "f1", Key: "sku-1", LastEnteredAt: t0},
			{CustomerID: "c3", FlowID: "f1", Key: "", LastEnteredAt: t0},
		})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		es, err := tx.Entries(ctx, []string{"c1", "c2"}, []string{"f1"})
		if err != nil {
			return err
		}
		want := []*store.Entry{
			{CustomerID: "c1", FlowID: "f1", Key: "", LastEnteredAt: t0},
			{CustomerID: "c1", FlowID: "f1", Key: "sku-2", LastEnteredAt: t0.Add(time.Hour)},
			{CustomerID: "c2", FlowID: "f1", Key: "sku-1", LastEnteredAt: t0},
		}
		deepEqual(t, "entries", es, want)
		return tx.SaveEntries(ctx, []*store.Entry{{CustomerID: "c1", FlowID: "f1", Key: "", LastEnteredAt: t0.Add(48 * time.Hour)}})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		es, err := tx.Entries(ctx, []string{"c1"}, []string{"f1", "f2"})
		if err != nil {
			return err
		}
		if len(es) != 3 || !es[0].LastEnteredAt.Equal(t0.Add(48*time.Hour)) || es[2].FlowID != "f2" {
			t.Errorf("entries after an update: %+v", es)
		}
		es, err = tx.Entries(ctx, []string{"c1"}, []string{"f9"})
		if err != nil || len(es) != 0 {
			return fail("entries of another flow: %v %v", es, err)
		}
		return nil
	})
}

// --- messages

func newMessage(customer, id, status string, sendAt time.Time) *store.Message {
	return &store.Message{
		ID: id, CustomerID: customer, JourneyID: "j-" + customer, FlowID: "thank-you-nps", FlowVersion: "v1", StepID: "thanks",
		Channel: "email", Shape: message.Email, Category: "transactional", IdempotencyKey: id, Status: status,
		SendAt: sendAt, CreatedAt: t0, Locale: "es",
		To:      message.Recipient{CustomerID: customer, Email: customer + "@example.com", Name: "Laura"},
		Content: message.Content{Subject: "Gracias, Laura", Text: "Tu pedido #1001", HTML: "<p>Tu pedido &amp; más</p>"},
	}
}

func testInsertMessages(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	full := newMessage("a", "m-full", store.Pending, t0.Add(time.Hour))
	full.Channel, full.Shape, full.Category = "crm", message.Webhook, "marketing"
	full.Reason, full.UnsubscribeURL, full.Attempts, full.ProviderID, full.LastError = "deferred: frequency", "https://u.example/x", 2, "prov-1", "timeout"
	full.LeaseUntil, full.SentAt = t0.Add(time.Minute), t0.Add(2*time.Minute)
	full.To.Phone, full.To.PushToken = "+51999888777", "tok"
	full.Content = message.Content{TemplateName: "thanks", Language: "es", Params: []string{"Laura", "1001"},
		Payload: map[string]any{"order": map[string]any{"id": "1001", "total": num("59.90"), "big": num("98765432109876543210")}, "ok": true}}
	skipped := newMessage("b", "m-skipped", store.Skipped, t0)
	skipped.Reason = "no consent"
	early := newMessage("b", "m-early", store.Pending, t0.Add(-time.Hour))
	tie := newMessage("a", "m-tie", store.Pending, t0)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{full, skipped, early, tie})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		again := newMessage("a", "m-full", store.Sent, t0)
		again.Content.Subject = "changed"
		return tx.InsertMessages(ctx, []*store.Message{again, newMessage("a", "m-new", store.Pending, t0.Add(2*time.Hour))})
	})
	ms, err := st.Messages(ctxT(t), store.MessageFilter{})
	must(t, err)
	sameIDs(t, "messages by send time, then id", messageIDs(ms), []string{"m-early", "m-skipped", "m-tie", "m-full", "m-new"})
	deepEqual(t, "message inserted once", ms[3], full)
	deepEqual(t, "message", ms[1], skipped)
	for _, tc := range []struct {
		f    store.MessageFilter
		want []string
	}{
		{store.MessageFilter{CustomerID: "b"}, []string{"m-early", "m-skipped"}},
		{store.MessageFilter{Status: store.Pending}, []string{"m-early", "m-tie", "m-full", "m-new"}},
		{store.MessageFilter{CustomerID: "a", Status: store.Pending, FlowID: "thank-you-nps"}, []string{"m-tie", "m-full", "m-new"}},
		{store.MessageFilter{FlowID: "other"}, nil},
	} {
		ms, err := st.Messages(ctxT(t), tc.f)
		must(t, err)
		sameIDs(t, fmt.Sprintf("Messages(%+v)", tc.f), messageIDs(ms), tc.want)
	}
}

func testClaimMessages(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	expired := newMessage("a", "m-expired", store.Sending, t0.Add(-10*time.Minute))
	expired.LeaseUntil = t0.Add(-time.Second)
	leased := newMessage("a", "m-leased", store.Sending, t0.Add(-10*time.Minute))
	leased.LeaseUntil = t0.Add(time.Minute)
	sent := newMessage("b", "m-sent", store.Sent, t0.Add(-time.Hour))
	failed := newMessage("b", "m-failed", store.Failed, t0.Add(-time.Hour))
	skipped := newMessage("b", "m-skipped", store.Skipped, t0.Add(-time.Hour))
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{
			newMessage("a", "m-due2", store.Pending, t0.Add(-time.Minute)), newMessage("b", "m-due1", store.Pending, t0.Add(-2*time.Minute)),
			newMessage("b", "m-now", store.Pending, t0), newMessage("a", "m-later", store.Pending, t0.Add(time.Second)),
			expired, leased, sent, failed, skipped,
		})
	})
	lease := t0.Add(2 * time.Minute)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, lease, 3)
		if err != nil {
			return err
		}
		sameIDs(t, "claimed with limit 3", messageIDs(ms), []string{"m-expired", "m-due1", "m-due2"})
		for _, m := range ms {
			if m.Status != store.Sending || !m.LeaseUntil.Equal(lease) {
				t.Errorf("claimed %s: status %s lease %v, want sending until %v", m.ID, m.Status, m.LeaseUntil, lease)
			}
		}
		return nil
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, lease, 10)
		if err != nil {
			return err
		}
		sameIDs(t, "claimed again before the leases end", messageIDs(ms), []string{"m-now"})
		return nil
	})
	ms, err := st.Messages(ctxT(t), store.MessageFilter{Status: store.Sending})
	must(t, err)
	sameIDs(t, "sending", messageIDs(ms), []string{"m-expired", "m-leased", "m-due1", "m-due2", "m-now"})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, lease, lease.Add(time.Minute), 10)
		if err != nil {
			return err
		}
		// At the lease's end it has not expired yet; m-leased's ended a minute before.
		sameIDs(t, "claimed when the first leases end", messageIDs(ms), []string{"m-leased", "m-later"})
		ms, err = tx.ClaimMessages(ctx, lease.Add(time.Microsecond), lease.Add(time.Hour), 10)
		if err != nil {
			return err
		}
		sameIDs(t, "claimed once those leases expired", messageIDs(ms), []string{"m-expired", "m-due1", "m-due2", "m-now"})
		return nil
	})
}

func testFinishAttempt(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{newMessage("a", "m1", store.Pending, t0), newMessage("a", "m2", store.Pending, t0)})
	})
	var m *store.Message
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 1)
		if err != nil {
			return err
		}
		m = ms[0]
		m.Status, m.Attempts, m.SendAt, m.LastError = store.Pending, 1, t0.Add(30*time.Second), "503 from provider"
		return tx.FinishAttempt(ctx, m, store.Attempt{N: 1, At: t0.Add(time.Second), Outcome: "transient", Error: "503 from provider"})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0.Add(time.Minute), t0.Add(2*time.Minute), 10)
		if err != nil {
			return err
		}
		sameIDs(t, "claimed for the retry", messageIDs(ms), []string{"m2", "m1"})
		m = ms[1]
		m.Status, m.Attempts, m.ProviderID, m.SentAt, m.LastError = store.Sent, 2, "prov-42", t0.Add(time.Minute), ""
		if err := tx.FinishAttempt(ctx, m, store.Attempt{N: 2, At: t0.Add(time.Minute), Outcome: "sent", ProviderID: "prov-42"}); err != nil {
			return err
		}
		// A second report of attempt 2 updates the message but adds no attempt.
		m.ProviderID = "prov-43"
		return tx.FinishAttempt(ctx, m, store.Attempt{N: 2, At: t0.Add(2 * time.Minute), Outcome: "sent", ProviderID: "prov-43"})
	})
	ms, err := st.Messages(ctxT(t), store.MessageFilter{CustomerID: "a"})
	must(t, err)
	want := newMessage("a", "m1", store.Sent, t0.Add(30*time.Second))
	want.Attempts, want.ProviderID, want.SentAt, want.LeaseUntil = 2, "prov-43", t0.Add(time.Minute), t0.Add(2*time.Minute)
	deepEqual(t, "message after its attempts", ms[1], want)
	as, err := st.Attempts(ctxT(t), "m1")
	must(t, err)
	deepEqual(t, "attempts", as, []store.Attempt{
		{MessageID: "m1", CustomerID: "a", N: 1, At: t0.Add(time.Second), Outcome: "transient", Error: "503 from provider"},
		{MessageID: "m1", CustomerID: "a", N: 2, At: t0.Add(time.Minute), Outcome: "sent", ProviderID: "prov-42"},
	})
	as, err = st.Attempts(ctxT(t), "m2")
	must(t, err)
	if len(as) != 0 {
		t.Errorf("attempts of a message never finished: %+v", as)
	}
	// An attempt at a message the outbox never had is an error, and leaves no trace.
	ghost := newMessage("a", "ghost", store.Sent, t0)
	err = st.InTx(ctxT(t), func(tx store.Tx) error {
		return tx.FinishAttempt(ctxT(t), ghost, store.Attempt{N: 1, At: t0, Outcome: "sent"})
	})
	if err == nil {
		t.Errorf("FinishAttempt of a message never inserted succeeded")
	}
	as, err = st.Attempts(ctxT(t), "ghost")
	must(t, err)
	ms, err = st.Messages(ctxT(t), store.MessageFilter{CustomerID: "a"})
	must(t, err)
	if len(as) != 0 || len(ms) != 2 {
		t.Errorf("a failed FinishAttempt left %d attempts and %d messages, want 0 and 2", len(as), len(ms))
	}
}

// --- schedules, flow versions

func testSchedules(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		s, err := tx.LockSchedule(ctx, "spring-sale")
		if err != nil {
			return err
		}
		deepEqual(t, "new schedule", s, &store.Schedule{FlowID: "spring-sale"})
		s.Spec, s.FireAt, s.Cursor = "at 2026-03-01T10:00:00Z", t0.Add(time.Hour), "cust-0042"
		return tx.SaveSchedule(ctx, s)
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		s, err := tx.LockSchedule(ctx, "spring-sale")
		if err != nil {
			return err
		}
		deepEqual(t, "schedule", s, &store.Schedule{FlowID: "spring-sale", Spec: "at 2026-03-01T10:00:00Z", FireAt: t0.Add(time.Hour), Cursor: "cust-0042"})
		s.LastFired, s.FireAt, s.Cursor = s.FireAt, time.Time{}, ""
		if err := tx.SaveSchedule(ctx, s); err != nil {
			return err
		}
		return tx.SaveSchedule(ctx, &store.Schedule{FlowID: "anniversary", Spec: "cron x"})
	})
	ss, err := st.Schedules(ctxT(t))
	must(t, err)
	deepEqual(t, "schedules", ss, []store.Schedule{
		{FlowID: "anniversary", Spec: "cron x"},
		{FlowID: "spring-sale", Spec: "at 2026-03-01T10:00:00Z", LastFired: t0.Add(time.Hour)},
	})
}

func testFlowVersions(t *testing.T, st store.Store) {
	v1 := store.FlowVersion{Version: "sha256:1", FlowID: "welcome", Source: []byte("id: welcome\nsteps: []\n"), File: "flows/welcome.yaml"}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveFlowVersions(ctx, []store.FlowVersion{v1, {Version: "sha256:2", FlowID: "nps", Source: []byte("id: nps"), File: "flows/nps.yaml"}})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveFlowVersions(ctx, []store.FlowVersion{{Version: "sha256:1", FlowID: "welcome", Source: []byte("changed"), File: "x"}})
	})
	got, err := st.FlowVersion(ctxT(t), "sha256:1")
	must(t, err)
	deepEqual(t, "flow version saved once", *got, v1)
	if _, err := st.FlowVersion(ctxT(t), "sha256:9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown flow version: got %v, want store.ErrNotFound", err)
	}
}

// --- readers

func testNextWake(t *testing.T, st store.Store) {
	ctx := ctxT(t)
	if _, ok, err := st.NextWake(ctx); ok || err != nil {
		t.Errorf("NextWake of an empty store: ok %v err %v", ok, err)
	}
	seed(t, st, map[string]time.Time{"a": {}})
	if _, ok, _ := st.NextWake(ctx); ok {
		t.Errorf("NextWake with no wake times: ok")
	}
	seed(t, st, map[string]time.Time{"b": t0.Add(time.Hour), "c": t0.Add(-time.Hour), "d": t0})
	if w, ok, _ := st.NextWake(ctx); !ok || !w.Equal(t0.Add(-time.Hour)) {
		t.Errorf("NextWake: %v %v, want %v", w, ok, t0.Add(-time.Hour))
	}
	seed(t, st, map[string]time.Time{"c": {}})
	if w, ok, _ := st.NextWake(ctx); !ok || !w.Equal(t0) {
		t.Errorf("NextWake after the earliest was cleared: %v %v, want %v", w, ok, t0)
	}
}

func testStats(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": t0.Add(-time.Hour), "b": t0.Add(-2 * time.Hour), "c": t0.Add(time.Hour)})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("a", "1", "x.y", t0, nil), ev("a", "2", "x.y", t0, nil), ev("b", "1", "x.y", t0, nil)}); err != nil {
			return err
		}
		if err := tx.SaveJourneys(ctx, []*store.Journey{
			journey("a", "j1", "nps", store.Active, t0), journey("a", "j2", "nps", store.Completed, t0),
			journey("b", "j3", "nps", store.Active, t0), journey("b", "j4", "welcome", store.Active, t0),
		}); err != nil {
			return err
		}
		sms := newMessage("a", "m3", store.Pending, t0.Add(-3*time.Hour))
		sms.Channel = "sms"
		sending := newMessage("b", "m4", store.Sending, t0.Add(-4*time.Hour))
		return tx.InsertMessages(ctx, []*store.Message{
			newMessage("a", "m1", store.Pending, t0.Add(-time.Hour)), newMessage("a", "m2", store.Pending, t0.Add(time.Hour)),
			sms, sending, newMessage("b", "m5", store.Sent, t0.Add(-5*time.Hour)),
		})
	})
	s, err := st.Stats(ctxT(t), t0)
	must(t, err)
	deepEqual(t, "stats", s, &store.Stats{
		ActiveJourneys:   map[string]int64{"nps": 2, "welcome": 1},
		Messages:         map[[2]string]int64{{"email", store.Pending}: 2, {"sms", store.Pending}: 1, {"email", store.Sending}: 1, {"email", store.Sent}: 1},
		OldestDueTimer:   t0.Add(-2 * time.Hour),
		OldestDueMessage: t0.Add(-3 * time.Hour),
	})
	s, err = st.Stats(ctxT(t), t0.Add(-10*time.Hour))
	must(t, err)
	if !s.OldestDueTimer.IsZero() || !s.OldestDueMessage.IsZero() {
		t.Errorf("nothing is due yet, got timer %v message %v", s.OldestDueTimer, s.OldestDueMessage)
	}
}

func testCustomerOfOrder(t *testing.T, st store.Store) {
	placed := func(subject, id, source string, at time.Time, orderID any) store.StoredEvent {
		e := ev(subject, id, "order.placed", at, map[string]any{"order_id": orderID, "total": num("10.00")})
		e.Source = source
		return e
	}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		other := ev("carol", "f1", "order.fulfilled", t0.Add(-time.Hour), map[string]any{"order_id": "1001"})
		other.Source = "shopify/aurora"
		_, err := tx.InsertEvents(ctx, []store.StoredEvent{
			other,
			placed("alice", "o1", "shopify/aurora", t0, "1001"),
			placed("bob", "o2", "woocommerce/aurora", t0, "1001"),
			placed("dave", "o3", "shopify/aurora", t0, num("1002")),
			placed("erin", "o4", "shopify/aurora", t0.Add(time.Hour), "2000"),
			placed("frank", "o5", "shopify/aurora", t0.Add(-time.Hour), "2000"),
			placed("gina", "o6", "shopify/aurora", t0, map[string]any{"nested": "3000"}),
		})
		return err
	})
	for _, tc := range []struct {
		source, order, want string
		found               bool
	}{
		{"shopify/aurora", "1001", "alice", true},
		{"woocommerce/aurora", "1001", "bob", true},
		{"shopify/aurora", "1002", "dave", true},
		{"shopify/aurora", "2000", "frank", true},
		{"shopify/aurora", "9999", "", false},
		{"shopify/other", "1001", "", false},
	} {
		got, found, err := st.CustomerOfOrder(ctxT(t), tc.source, tc.order)
		must(t, err)
		if got != tc.want || found != tc.found {
			t.Errorf("CustomerOfOrder(%s, %s) = %q %v, want %q %v", tc.source, tc.order, got, found, tc.want, tc.found)
		}
	}
}

// testNoLostUpdates runs event-processing transactions on overlapping customers, in id order as
// the engine takes them, alongside timer claims: each increments a counter of each customer it
// locked, and every increment must survive. Some customers do not exist yet and are created by
// whichever transaction comes first: exactly one sees it New.
func testNoLostUpdates(t *testing.T, st store.Store) {
	const workers, rounds = 6, 25
	all := []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"}
	seed(t, st, map[string]time.Time{"n0": t0, "n1": t0, "n2": t0, "n3": t0, "n4": t0, "n5": t0, "n6": t0, "n7": t0})
	var wg sync.WaitGroup
	var mu sync.Mutex
	want := map[string]int{}
	created := map[string]int{}
	errs := make(chan error, workers*2)
	count := func(cs []*store.Customer) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			want[c.ID]++
			if c.New {
				created[c.ID]++
			}
		}
	}
	bump := func(cs []*store.Customer) {
		for _, c := range cs {
			n, _ := c.Attrs["counter"].(json.Number)
			i, _ := n.Int64()
			c.Attrs["counter"] = json.Number(fmt.Sprint(i + 1))
			c.NextWakeAt = t0
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				// Overlapping windows of the sorted ids.
				lo := (w + r) % len(all)
				set := map[string]bool{}
				for k := 0; k < 4; k++ {
					set[all[(lo+k*(w%3+1))%len(all)]] = true
				}
				set[fmt.Sprintf("new%d", r%5)] = true
				var ids []string
				for id := range set {
					ids = append(ids, id)
				}
				sort.Strings(ids)
				var locked []*store.Customer
				err := st.InTx(context.Background(), func(tx store.Tx) error {
					cs, err := tx.LockCustomers(context.Background(), ids, t0)
					if err != nil {
						return err
					}
					bump(cs)
					locked = cs
					return tx.SaveCustomers(context.Background(), cs)
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
					return
				}
				count(locked)
			}
		}(w)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				var claimed []*store.Customer
				err := st.InTx(context.Background(), func(tx store.Tx) error {
					cs, err := tx.ClaimDue(context.Background(), t0, 3)
					if err != nil {
						return err
					}
					bump(cs)
					claimed = cs
					return tx.SaveCustomers(context.Background(), cs)
				})
				if err != nil {
					errs <- fmt.Errorf("claimer %d: %w", w, err)
					return
				}
				count(claimed)
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range []string{"new0", "new1", "new2", "new3", "new4"} {
		if created[id] != 1 {
			t.Errorf("customer %s was reported New by %d transactions, want exactly 1", id, created[id])
		}
	}
	for _, id := range append(all, "new0", "new1", "new2", "new3", "new4") {
		c, err := st.Customer(context.Background(), id)
		must(t, err)
		n, _ := c.Attrs["counter"].(json.Number)
		if got := n.String(); got != fmt.Sprint(want[id]) {
			t.Errorf("customer %s: counter %s after %d increments: updates were lost", id, got, want[id])
		}
	}
}

// --- what one transaction sees of another's locks

func testClaimDueSkipsLocked(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": t0.Add(-3 * time.Hour), "b": t0.Add(-2 * time.Hour), "c": t0.Add(-time.Hour)})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LockCustomers(ctx, []string{"a"}, t0)
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 2)
		got = customerIDs(cs)
		return err
	})
	quickly(t, done, "ClaimDue")
	sameIDs(t, "claimed beside a locked customer", got, []string{"b", "c"})
	h2 := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 1)
		if err == nil && (len(cs) != 1 || cs[0].ID != "b") {
			err = fail("claimed %q, want b", customerIDs(cs))
		}
		return err
	})
	done = async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 10)
		got = customerIDs(cs)
		return err
	})
	quickly(t, done, "ClaimDue")
	sameIDs(t, "claimed beside claimed customers", got, []string{"c"})
	h.end(t, false)
	h2.end(t, true)
}

func testClaimStaleDatesSkipsLocked(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}, "c": {}})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimStaleDates(ctx, "v1", 1)
		if err == nil && len(cs) != 1 {
			err = fail("claimed %q", customerIDs(cs))
		}
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimStaleDates(ctx, "v1", 10)
		got = customerIDs(cs)
		return err
	})
	quickly(t, done, "ClaimStaleDates")
	sameIDs(t, "claimed beside a claimed customer", got, []string{"b", "c"})
	h.end(t, true)
}

func testLockCustomersWaits(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"b", "new"}, t0)
		if err != nil {
			return err
		}
		cs[0].Attrs["by"] = "first"
		cs[1].Attrs["by"] = "first"
		return tx.SaveCustomers(ctx, cs)
	})
	var got []*store.Customer
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"a", "b", "new"}, t0.Add(time.Hour))
		got = cs
		return err
	})
	stillWaiting(t, done, "LockCustomers of a customer another transaction holds")
	h.end(t, true)
	quickly(t, done, "LockCustomers")
	if len(got) != 3 {
		t.Fatalf("locked %q", customerIDs(got))
	}
	for _, c := range got[1:] {
		if c.Attrs["by"] != "first" {
			t.Errorf("customer %s locked after the other transaction committed does not show its change: %+v", c.ID, c.Attrs)
		}
		if c.New {
			t.Errorf("customer %s was created by the other transaction, not this one", c.ID)
		}
	}
}

func testLockCustomersAfterWaits(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}, "c": {}})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LockCustomers(ctx, []string{"b"}, t0)
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, _, err := tx.LockCustomersAfter(ctx, "", 10)
		got = customerIDs(cs)
		return err
	})
	stillWaiting(t, done, "LockCustomersAfter over a customer another transaction holds")
	h.end(t, false)
	quickly(t, done, "LockCustomersAfter")
	sameIDs(t, "locked", got, []string{"a", "b", "c"})
}

func testClaimMessagesSkipsLocked(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{newMessage("a", "m1", store.Pending, t0.Add(-2*time.Minute)), newMessage("a", "m2", store.Pending, t0.Add(-time.Minute))})
	})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 1)
		if err == nil && (len(ms) != 1 || ms[0].ID != "m1") {
			err = fail("claimed %q, want m1", messageIDs(ms))
		}
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 10)
		got = messageIDs(ms)
		return err
	})
	quickly(t, done, "ClaimMessages")
	sameIDs(t, "claimed beside a message another dispatcher holds", got, []string{"m2"})
	h.end(t, false)
	// Rolled back: m1 is pending again.
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 10)
		sameIDs(t, "claimed after the other dispatcher rolled back", messageIDs(ms), []string{"m1"})
		return err
	})
}

func testLockScheduleHeld(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveSchedule(ctx, &store.Schedule{FlowID: "old", Spec: "x"})
	})
	for _, flow := range []string{"old", "brand-new"} {
		h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
			s, err := tx.LockSchedule(ctx, flow)
			if err == nil && s == nil {
				err = fail("LockSchedule(%s) returned nil with no other holder", flow)
			}
			if err == nil {
				s.Cursor = "held"
				err = tx.SaveSchedule(ctx, s)
			}
			return err
		})
		var got, other *store.Schedule
		done := async(t, st, func(ctx context.Context, tx store.Tx) error {
			var err error
			if got, err = tx.LockSchedule(ctx, flow); err != nil {
				return err
			}
			other, err = tx.LockSchedule(ctx, "unrelated-"+flow)
			return err
		})
		quickly(t, done, "LockSchedule of a schedule another transaction holds")
		if got != nil {
			t.Errorf("LockSchedule(%s) held elsewhere: got %+v, want nil", flow, got)
		}
		if other == nil {
			t.Errorf("LockSchedule of another flow returned nil")
		}
		h.end(t, true)
		inTx(t, st, func(ctx context.Context, tx store.Tx) error {
			s, err := tx.LockSchedule(ctx, flow)
			if err == nil && (s == nil || s.Cursor != "held") {
				t.Errorf("LockSchedule(%s) after the holder committed: %+v", flow, s)
			}
			return err
		})
	}
}

func testUncommittedInvisible(t *testing.T, st store.Store) {
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("x", "e1", "order.placed", t0, map[string]any{"order_id": "5"})}); err != nil {
			return err
		}
		_, err := tx.LockCustomers(ctx, []string{"x"}, t0)
		return err
	})
	ctx := ctxT(t)
	if _, err := st.Customer(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a customer another transaction is creating is visible (%v)", err)
	}
	if _, found, _ := st.CustomerOfOrder(ctx, "shop", "5"); found {
		t.Errorf("an uncommitted order is visible")
	}
	h.end(t, true)
	if _, err := st.Customer(ctx, "x"); err != nil {
		t.Errorf("customer after commit: %v", err)
	}
	if id, found, _ := st.CustomerOfOrder(ctx, "shop", "5"); !found || id != "x" {
		t.Errorf("order after commit: %q %v", id, found)
	}
}
