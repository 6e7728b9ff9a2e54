package enginetest

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// Counted orders: a customer's orders_count, total_spent and first and last order times count the
// orders placed and not cancelled, each worth its total less its refunds, whatever order the
// events of an order arrive in.

// metrics reads a customer's order metrics as "count spent first last", times as offsets from T0.
func metrics(r *Run, id string) string {
	r.T.Helper()
	c, err := r.Store.Customer(r.Ctx, id)
	if err != nil {
		r.T.Fatal(err)
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return off(t)
	}
	return itoa(c.OrdersCount) + " " + c.TotalSpent.String() + " " + at(c.FirstOrderAt) + " " + at(c.LastOrderAt)
}

// ledger reads a customer's orders as "id placed cancelled total refunded #seq first previous" lines.
func ledger(r *Run, id string) []string {
	r.T.Helper()
	os, err := r.Store.CustomerOrders(r.Ctx, id)
	if err != nil {
		r.T.Fatal(err)
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return off(t)
	}
	var out []string
	for _, o := range os {
		out = append(out, o.OrderID+" "+at(o.PlacedAt)+" "+at(o.CancelledAt)+" "+o.Total.String()+" "+o.Refunded.String()+
			" #"+itoa(o.Seq)+" "+at(o.FirstAt)+" "+at(o.PrevAt))
	}
	return out
}

func refund(id, amount string) map[string]any {
	return map[string]any{"order_id": id, "amount": jsonNum(amount), "currency": "PEN"}
}

func cancel(id string) map[string]any { return map[string]any{"order_id": id} }

func testCancelledOrdersNeverCount(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/sorry.yaml": `
flow: sorry
trigger: {event: order.cancelled}
steps:
  - {id: note, send: {channel: email, category: transactional, content: ` + mail("{{ customer.orders_count }} {{ customer.total_spent }}") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Play(5*day,
		Ev(0, "order.placed", "ana", order("1", "100.00")),
		Ev(day, "order.placed", "ana", order("2", "50.00")),
		Ev(2*day, "order.cancelled", "ana", cancel("2")),
		Ev(3*day, "order.refunded", "ana", refund("1", "30.00")),
	)
	if ms := r.Messages(); len(ms) != 1 || ms[0].Content.Subject != "1 100" {
		t.Errorf("the flow on the cancellation must see the order gone: %v", subjectsOf(r))
	}
	Equal(t, "metrics", []string{metrics(r, "ana")}, []string{"1 70 0d 0d"})
	Equal(t, "ledger", ledger(r, "ana"), []string{"1 0d - 100 30 #1 0d -", "2 1d 2d 50 0 #0 - -"})
}

// The events of an order arrive in any order: a cancellation or a refund that comes before its
// order is kept, and applies when the order comes. Every arrival order ends the same.
func testOrderEventsInAnyArrivalOrder(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", nil)
	evs := []eventT{
		Ev(2*time.Hour, "order.cancelled", "ana", cancel("9")),
		Ev(3*time.Hour, "order.refunded", "ana", refund("8", "20.00")),
		Ev(0, "order.placed", "ana", order("8", "80.00")),
		Ev(time.Hour, "order.placed", "ana", order("9", "30.00")),
		Ev(4*time.Hour, "order.placed", "ana", order("7", "10.00")),
	}
	want := []string{"2 70 0d 4h0m0s"}
	wantLedger := []string{"7 4h0m0s - 10 0 #2 0d 0d", "8 0d - 80 20 #1 0d -", "9 1h0m0s 2h0m0s 30 0 #0 - -"}
	orders := map[string][]int{
		"in time":                 {2, 3, 4, 0, 1},
		"cancel and refund first": {0, 1, 2, 3, 4},
		"backwards":               {4, 3, 2, 1, 0},
	}
	for name, order := range orders {
		for _, oneBatch := range []bool{false, true} {
			r := Start(t, ns, ws)
			r.Clock.Set(T0.Add(day))
			var batch []eventT
			for _, i := range order {
				batch = append(batch, evs[i])
				if !oneBatch {
					if _, err := r.Engine.Ingest(r.Ctx, batch); err != nil {
						t.Fatal(err)
					}
					batch = nil
				}
			}
			if _, err := r.Engine.Ingest(r.Ctx, batch); err != nil {
				t.Fatal(err)
			}
			what := name
			if oneBatch {
				what += ", one batch"
			}
			Equal(t, what+": metrics", []string{metrics(r, "ana")}, want)
			Equal(t, what+": ledger", ledger(r, "ana"), wantLedger)
		}
	}
}

// An order placed twice (a platform that sends the order again under a new event id) counts once,
// with its latest contents and its earliest time; refunds add up and never take an order below
// nothing.
func testRepeatedOrdersAndRefunds(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", nil)
	r := Start(t, ns, ws)
	r.Play(5*day,
		Ev(0, "order.placed", "ana", order("5", "40.00")),
		Ev(time.Hour, "order.placed", "ana", order("5", "45.00")),
		Ev(day, "order.placed", "ana", order("6", "20.00")),
		Ev(2*day, "order.refunded", "ana", refund("6", "15.00")),
		Ev(3*day, "order.refunded", "ana", refund("6", "10.00")),
	)
	Equal(t, "metrics", []string{metrics(r, "ana")}, []string{"2 45 0d 1d"})
	Equal(t, "ledger", ledger(r, "ana"), []string{"5 0d - 45 0 #1 0d -", "6 1d - 20 25 #2 0d 0d"})
}

// A customer given figures of its own (a scenario's customer who bought before) keeps them: its
// orders add to them, and a cancelled order takes back only what it added.
func testOrdersAddToGivenFigures(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", nil)
	r := Start(t, ns, ws)
	r.Customer("old", map[string]any{"email": "o@example.com", "orders_count": 3, "total_spent": jsonNum("300.00"),
		"first_order_at": T0.Add(-90 * day).Format(time.RFC3339), "last_order_at": T0.Add(-30 * day).Format(time.RFC3339)})
	r.Play(day, Ev(0, "order.placed", "old", order("1", "10.00")))
	Equal(t, "after an order", []string{metrics(r, "old")}, []string{"4 310 -90d 0d"})
	r.Play(2*day, Ev(day, "order.cancelled", "old", cancel("1")))
	c, err := r.Store.Customer(r.Ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if c.OrdersCount != 3 || !c.TotalSpent.Equal(decimal.RequireFromString("300")) || !c.FirstOrderAt.Equal(T0.Add(-90*day)) {
		t.Errorf("after the cancellation: %s; want the figures given back: 3 300 -90d", metrics(r, "old"))
	}
	if os, _ := r.Store.CustomerOrders(r.Ctx, "old"); len(os) != 1 || os[0].Counted() {
		t.Errorf("ledger %v: want the one cancelled order", ledger(r, "old"))
	}
}

// Each order knows its place among the customer's counted orders: an order that arrives after
// later ones, or a cancellation, moves those after it.
func testOrdersKnowTheirPlace(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", nil)
	r := Start(t, ns, ws)
	r.Clock.Set(T0.Add(10 * day))
	for _, ev := range []eventT{
		Ev(2*day, "order.placed", "ana", order("b", "20")),
		Ev(4*day, "order.placed", "ana", order("c", "30")),
		Ev(0, "order.placed", "ana", order("a", "10")),      // arrives late
		Ev(2*day, "order.placed", "ana", order("b2", "25")), // at the same moment as b: after it by id
	} {
		if _, err := r.Engine.Ingest(r.Ctx, []eventT{ev}); err != nil {
			t.Fatal(err)
		}
	}
	Equal(t, "ranked", ledger(r, "ana"), []string{"a 0d - 10 0 #1 0d -", "b 2d - 20 0 #2 0d 0d", "b2 2d - 25 0 #3 0d 2d", "c 4d - 30 0 #4 0d 2d"})
	if _, err := r.Engine.Ingest(r.Ctx, []eventT{Ev(5*day, "order.cancelled", "ana", cancel("a"))}); err != nil {
		t.Fatal(err)
	}
	Equal(t, "after the first is cancelled", ledger(r, "ana"), []string{"a 0d 5d 10 0 #0 - -", "b 2d - 20 0 #1 2d -", "b2 2d - 25 0 #2 2d 2d", "c 4d - 30 0 #3 2d 2d"})
}
