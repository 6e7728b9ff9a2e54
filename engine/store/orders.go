package store

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Order is one order in a customer's purchase history, the ledger that the customer's order
// metrics, reports and purchase-history questions are answered from. Its events may arrive in
// any order: a cancellation or a refund that comes before its order.placed is kept here, and the
// order never counts (a cancellation) or counts net of it (a refund) once it comes.
type Order struct {
	CustomerID  string
	OrderID     string
	PlacedAt    time.Time // zero until its order.placed arrives
	Currency    string
	Total       decimal.Decimal
	Refunded    decimal.Decimal // the sum of its refunds
	CancelledAt time.Time       // zero unless cancelled
	Items       []OrderItem
	// The order's place among the customer's counted orders (by time, then order id), kept by the
	// engine so that a report reads it instead of sorting every customer's history: Seq is 1 for
	// the first counted order, 2 for the second... and 0 for an order that does not count;
	// FirstAt is when the customer's first counted order was placed, PrevAt when the one before
	// this one was (zero for the first).
	Seq     int
	FirstAt time.Time
	PrevAt  time.Time
}

// OrderItem is one line of an order.
type OrderItem struct {
	ProductID string
	SKU       string
	Quantity  int
	Price     decimal.Decimal
}

// Counted reports whether the order counts as a purchase: placed and never cancelled.
func (o *Order) Counted() bool { return !o.PlacedAt.IsZero() && o.CancelledAt.IsZero() }

// Net is what the order brought in: its total less its refunds, never below zero (a refund
// cannot take back more than the order was worth), and zero for an order that does not count.
func (o *Order) Net() decimal.Decimal {
	if !o.Counted() {
		return decimal.Zero
	}
	if o.Refunded.IsZero() && o.Total.Sign() >= 0 {
		return o.Total // most orders: no arithmetic
	}
	return decimal.Max(o.Total.Sub(o.Refunded), decimal.Zero)
}

// RankOrders sets Seq, FirstAt and PrevAt of one customer's orders and returns those it changed.
// An order placed after the others changes nothing but itself; a cancellation, or an order that
// arrives after later ones, moves those after it.
func RankOrders(os []*Order) []*Order {
	var changed []*Order
	counted := make([]*Order, 0, len(os))
	for _, o := range os {
		if o.Counted() {
			counted = append(counted, o)
		} else if o.Seq != 0 || !o.FirstAt.IsZero() || !o.PrevAt.IsZero() {
			o.Seq, o.FirstAt, o.PrevAt = 0, time.Time{}, time.Time{}
			changed = append(changed, o)
		}
	}
	sort.Slice(counted, func(i, j int) bool {
		a, b := counted[i], counted[j]
		if !a.PlacedAt.Equal(b.PlacedAt) {
			return a.PlacedAt.Before(b.PlacedAt)
		}
		return a.OrderID < b.OrderID
	})
	for i, o := range counted {
		first, prev := counted[0].PlacedAt, time.Time{}
		if i > 0 {
			prev = counted[i-1].PlacedAt
		}
		if o.Seq != i+1 || !o.FirstAt.Equal(first) || !o.PrevAt.Equal(prev) {
			o.Seq, o.FirstAt, o.PrevAt = i+1, first, prev
			changed = append(changed, o)
		}
	}
	return changed
}
