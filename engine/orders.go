package engine

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/shopspring/decimal"
)

// The orders ledger: every order.placed, order.cancelled and order.refunded updates the order it
// names, and the customer's order metrics move by what the order counts for before and after.
// A metric is the customer's own figures (which a scenario test may give) plus what its orders
// add, so an event arriving before its order (a cancellation, a refund) is kept and applied when
// the order comes.

// isOrderEvent says whether an event changes the orders ledger.
func isOrderEvent(typ string) bool {
	return typ == event.OrderPlaced || typ == event.OrderCancelled || typ == event.OrderRefunded
}

// loadOrders reads the orders of the batch's customers that the batch's events will change, in
// one read.
func (b *batch) loadOrders(ids []string) error {
	var need []string
	for _, id := range ids {
		if st := b.custs[id]; st != nil && st.orders == nil {
			st.orders = map[string]*store.Order{}
			// A customer created by this transaction has no orders yet: orders are written under
			// the customer's lock.
			if !st.c.New {
				need = append(need, id)
			}
		}
	}
	if len(need) == 0 {
		return nil
	}
	os, err := b.tx.Orders(b.ctx, need)
	if err != nil {
		return err
	}
	for _, o := range os {
		if st := b.custs[o.CustomerID]; st != nil {
			st.orders[o.OrderID] = o
		}
	}
	return nil
}

// ordersOf returns the customer's orders, read now if the batch has not read them (an order
// event a flow emitted).
func (b *batch) ordersOf(st *custState) map[string]*store.Order {
	if st.orders == nil && b.changeErr == nil {
		if err := b.loadOrders([]string{st.c.ID}); err != nil {
			b.changeErr = err
		}
	}
	return st.orders
}

// applyOrder records an order event in the ledger and moves the customer's metrics. It returns
// a note when the event could not be applied in full.
func (b *batch) applyOrder(st *custState, ev *event.Event) string {
	id, ok := orderID(ev.Data["order_id"])
	if !ok {
		if ev.Type != event.OrderPlaced {
			return ev.Type + " without an order_id: no order to apply it to"
		}
		id = "event:" + ev.ID // an order of its own
	}
	orders := b.ordersOf(st)
	if orders == nil {
		return "" // the read failed; the batch fails with it
	}
	before := orders[id]
	o := &store.Order{CustomerID: st.c.ID, OrderID: id}
	if before != nil {
		c := *before
		o = &c
	}
	at := ev.Time.UTC().Truncate(time.Microsecond) // as the store keeps it
	var note string
	switch ev.Type {
	case event.OrderPlaced:
		// The earliest order.placed of an order says when it was placed; the latest says what it holds.
		if o.PlacedAt.IsZero() || at.Before(o.PlacedAt) {
			o.PlacedAt = at
		}
		o.Currency, _ = ev.Data["currency"].(string)
		o.Items = orderItems(ev.Data["items"])
		if d, err := event.Decimal(ev.Data["total"]); err == nil {
			o.Total = d
		} else {
			o.Total = decimal.Zero
			note = "order.placed without a decimal total: the order counts, worth nothing"
		}
	case event.OrderCancelled:
		if o.CancelledAt.IsZero() || at.Before(o.CancelledAt) {
			o.CancelledAt = at
		}
	case event.OrderRefunded:
		d, err := event.Decimal(ev.Data["amount"])
		if err != nil {
			return "order.refunded without a decimal amount: the order's value unchanged"
		}
		o.Refunded = o.Refunded.Add(d)
	}
	orders[id] = o
	st.saveOrder(o)
	recount(st, before, o)
	rank(st)
	return note
}

func (st *custState) saveOrder(o *store.Order) {
	if st.savedOrders == nil {
		st.savedOrders = map[string]*store.Order{}
	}
	st.savedOrders[o.OrderID] = o
}

// rank gives each of the customer's orders its place among the counted ones, and marks those
// whose place changed.
func rank(st *custState) {
	all := make([]*store.Order, 0, len(st.orders))
	for _, o := range st.orders {
		all = append(all, o)
	}
	for _, o := range store.RankOrders(all) {
		st.saveOrder(o)
	}
}

// recount moves the customer's metrics from what the order counted for before to what it counts
// for now.
func recount(st *custState, before, after *store.Order) {
	c := st.c
	if before != nil && before.Counted() {
		c.OrdersCount--
		if net := before.Net(); !net.IsZero() {
			c.TotalSpent = c.TotalSpent.Sub(net)
		}
		if at := before.PlacedAt; at.Equal(c.FirstOrderAt) || at.Equal(c.LastOrderAt) {
			var first, last time.Time
			for id, o := range st.orders {
				if id == before.OrderID || !o.Counted() {
					continue
				}
				if first.IsZero() || o.PlacedAt.Before(first) {
					first = o.PlacedAt
				}
				if o.PlacedAt.After(last) {
					last = o.PlacedAt
				}
			}
			if at.Equal(c.FirstOrderAt) {
				c.FirstOrderAt = first
			}
			if at.Equal(c.LastOrderAt) {
				c.LastOrderAt = last
			}
			if c.LastOrderAt.IsZero() {
				c.LastOrderAt = c.FirstOrderAt // orders a scenario gave, with no time but the first
			}
		}
	}
	if after.Counted() {
		c.OrdersCount++
		c.TotalSpent = c.TotalSpent.Add(after.Net())
		if c.FirstOrderAt.IsZero() || after.PlacedAt.Before(c.FirstOrderAt) {
			c.FirstOrderAt = after.PlacedAt
		}
		if after.PlacedAt.After(c.LastOrderAt) {
			c.LastOrderAt = after.PlacedAt
		}
	}
	if c.OrdersCount <= 0 {
		c.OrdersCount, c.FirstOrderAt, c.LastOrderAt = 0, time.Time{}, time.Time{}
	}
	c.TotalSpent = decimal.Max(c.TotalSpent, decimal.Zero)
}

// savedOrdersOf lists the orders the batch changed, by customer and order id.
func (b *batch) savedOrdersOf() []*store.Order {
	var out []*store.Order
	for _, st := range b.order {
		for _, o := range st.savedOrders {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CustomerID != out[j].CustomerID {
			return out[i].CustomerID < out[j].CustomerID
		}
		return out[i].OrderID < out[j].OrderID
	})
	return out
}

// orderID reads data.order_id: a string, or a number as its digits.
func orderID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// orderItems reads an order's items as the ledger keeps them: a missing or unreadable quantity
// is one, a missing or unreadable price zero.
func orderItems(v any) []store.OrderItem {
	list, _ := v.([]any)
	var out []store.OrderItem
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		it := store.OrderItem{ProductID: idText(m["product_id"]), SKU: idText(m["sku"]), Quantity: 1}
		if q, ok := quantity(m["quantity"]); ok {
			it.Quantity = q
		}
		if p, err := event.Decimal(m["price"]); err == nil {
			it.Price = p
		}
		out = append(out, it)
	}
	return out
}

func idText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func quantity(v any) (int, bool) {
	if s, ok := v.(string); ok {
		v = json.Number(s)
	}
	n, ok := toInt(v)
	if !ok || v == nil || n <= -1e9 || n >= 1e9 {
		return 0, false
	}
	return int(n), true
}
