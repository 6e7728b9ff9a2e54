package enginetest

import (
	"context"
	"sort"
	"sync"
	"testing"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sim"
	"github.com/rs/zerolog"
)

// readCounter is a store that records each read of the orders ledger: how many customers it asked for.
type readCounter struct {
	store.Store
	mu    sync.Mutex
	reads []int
}

func (s *readCounter) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.InTx(ctx, func(tx store.Tx) error { return fn(countingTx{tx, s}) })
}

func (s *readCounter) take() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reads
	s.reads = nil
	return r
}

type countingTx struct {
	store.Tx
	s *readCounter
}

func (t countingTx) Orders(ctx context.Context, ids []string) ([]*store.Order, error) {
	t.s.mu.Lock()
	t.s.reads = append(t.s.reads, len(ids))
	t.s.mu.Unlock()
	return t.Tx.Orders(ctx, ids)
}

// A schedule whose audience is bought("serum-v1") reaches exactly the owners: customers with a
// counted order holding it (a cancelled order does not count), read from the ledger one batch of
// customers at a time.
func testAudienceOfOwners(t *testing.T, ns NewStore) {
	ws := Workspace(t, "catalog: products.yaml\n", map[string]string{"products.yaml": catalogYAML, "flows/new-serum.yaml": `
flow: new-serum
trigger:
  schedule: {at: "2025-11-20T10:00:00-05:00"}
  audience: bought("serum-v1")
steps:
  - id: news
    send:
      channel: email
      category: transactional
      content: {default_locale: en, locales: {en: {subject: "New serum", text: "{% assign t = \"serum-v1\" | last_bought %}{{ t | date: \"%Y-%m-%d\" }} {{ \"60d\" | orders_within }}"}}}
`})
	counter := &readCounter{Store: ns(t)}
	clk := newClock()
	eng := engine.New(counter, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), BatchSize: 10, EventTime: eventTime})
	r := &Run{T: t, Ctx: ctxBG(), Store: counter, Clock: clk, Engine: eng, Driver: &sim.Driver{Engine: eng, Clock: clk}}
	var evs []event.Event
	var owners []string
	for i := range 37 {
		id := "c" + itoa(100+i)
		r.Customer(id, map[string]any{"email": id + "@example.com"})
		product := []string{"serum-v1", "spf", "serum-v1"}[i%3]
		evs = append(evs, Ev(day, "order.placed", id, withItems(order(id+"-1", "10"), map[string]any{"product_id": product, "quantity": jsonNum("1"), "price": jsonNum("10")})))
		switch {
		case i%3 == 2 && i%2 == 0: // bought it, and cancelled that order
			evs = append(evs, Ev(2*day, "order.cancelled", id, map[string]any{"order_id": id + "-1"}))
		case product == "serum-v1":
			owners = append(owners, id)
		}
	}
	r.Play(30*day, evs...)
	counter.take()
	r.Play(40 * day)
	var got []string
	for _, m := range r.Messages() {
		if m.FlowID == "new-serum" {
			got = append(got, m.CustomerID)
			if want := T0.Add(day).UTC().Format("2006-01-02") + " 1"; m.Content.Text != want {
				t.Errorf("%s: %q, want %q", m.CustomerID, m.Content.Text, want)
			}
		}
	}
	sort.Strings(got)
	Equal(t, "reached", got, owners)
	// 37 customers in batches of 10: four reads of the ledger, one per batch, none larger.
	reads := counter.take()
	if len(reads) > 4 {
		t.Errorf("%d reads of the ledger for 4 batches: %v", len(reads), reads)
	}
	for _, n := range reads {
		if n > 10 {
			t.Errorf("a read of %d customers' orders, in batches of 10", n)
		}
	}
}

// The purchase-history functions in conditions see counted orders only.
func testHistoryInConditions(t *testing.T, ns NewStore) {
	ws := Workspace(t, "catalog: products.yaml\n", map[string]string{"products.yaml": catalogYAML, "flows/second.yaml": `
flow: second
trigger: {event: order.placed, when: 'orders_within(days(30)) >= 2 && bought("spf") && days_since(last_bought("serum-v1")) >= 5'}
steps:
  - {id: thanks, send: {channel: email, category: transactional, content: ` + mail("Loyal") + `}}
`})
	r := Start(t, ns, ws)
	for _, c := range []string{"ana", "bea", "cid"} {
		r.Customer(c, map[string]any{"email": c + "@example.com"})
	}
	item := func(p string) map[string]any {
		return map[string]any{"product_id": p, "quantity": jsonNum("1"), "price": jsonNum("10")}
	}
	r.Play(60*day,
		// ana: serum on day 0, sunscreen on day 6: the second order starts the flow.
		Ev(0, "order.placed", "ana", withItems(order("a1", "10"), item("serum-v1"))),
		Ev(6*day, "order.placed", "ana", withItems(order("a2", "10"), item("spf"))),
		// bea: the same, but her serum order was cancelled: she never bought it.
		Ev(0, "order.placed", "bea", withItems(order("b1", "10"), item("serum-v1"))),
		Ev(day, "order.cancelled", "bea", map[string]any{"order_id": "b1"}),
		Ev(6*day, "order.placed", "bea", withItems(order("b2", "10"), item("spf"))),
		// cid: the second order comes 40 days later: only one order within 30 days.
		Ev(0, "order.placed", "cid", withItems(order("c1", "10"), item("serum-v1"))),
		Ev(40*day, "order.placed", "cid", withItems(order("c2", "10"), item("spf"))),
	)
	Equal(t, "sent", r.Sent(), []string{"6d ana second/thanks"})
}
