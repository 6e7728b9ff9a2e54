package store

import (
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
	return decimal.Max(o.Total.Sub(o.Refunded), decimal.Zero)
}
