package shopify

import (
	"context"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

// fulfillments serves fulfillments/create and /update: the fulfillment is order.fulfilled once,
// and order.delivered once the carrier reports delivery. Both ids are keyed by the fulfillment,
// so the updates that repeat a fact are dropped.
func fulfillments(ctx context.Context, d *delivery) (sources.Outcome, error) {
	var f fulfillment
	if err := d.decode(&f, "fulfillment"); err != nil {
		return sources.Outcome{}, err
	}
	id, orderID := f.ID.ID(), f.OrderID.ID()
	if id == "" || orderID == "" {
		return sources.Outcome{}, sources.Unprocessable("the fulfillment lacks its id or its order_id")
	}
	switch strings.ToLower(f.Status) {
	case "cancelled", "error", "failure":
		return sources.Outcome{Skip: "fulfillment " + id + " of order " + orderID + " is " + f.Status + ": nothing was shipped"}, nil
	}
	subject, err := d.customerOfOrder(ctx, orderID, f.Email)
	if err != nil {
		return sources.Outcome{}, err
	}
	if subject == "" {
		return sources.Outcome{}, sources.Unprocessable("fulfillment %s names neither an order Afterglow has seen (%s) nor an email, so Afterglow cannot tell whose it is; nothing was stored", id, orderID)
	}
	data := map[string]any{"order_id": orderID, "fulfillment_id": id, "items": items(f.LineItems)}
	put(data, "fulfillment_name", f.Name)
	put(data, "tracking_number", f.TrackingNumber)
	put(data, "tracking_url", f.TrackingURL)
	put(data, "carrier", f.TrackingCompany)
	put(data, "shipment_status", f.ShipmentStatus)
	evs := []event.Event{d.event(event.OrderFulfilled, d.id("fulfillment", id, "fulfilled"), subject, d.time(f.CreatedAt, f.UpdatedAt), data)}
	if strings.EqualFold(f.ShipmentStatus, "delivered") {
		delivered := map[string]any{"order_id": orderID, "fulfillment_id": id, "items": items(f.LineItems)}
		put(delivered, "tracking_number", f.TrackingNumber)
		put(delivered, "tracking_url", f.TrackingURL)
		put(delivered, "carrier", f.TrackingCompany)
		evs = append(evs, d.event(event.OrderDelivered, d.id("fulfillment", id, "delivered"), subject, d.time(f.UpdatedAt, f.CreatedAt), delivered))
	}
	return sources.Outcome{Events: evs, Subject: subject}, nil
}

// refundsCreate: order.refunded with the money returned. A refund names only its order, so its
// customer is the order's, as the sink recorded it. A refund of an order never seen is
// acknowledged and dropped: no customer's total_spent includes that order and no journey is about
// it.
func refundsCreate(ctx context.Context, d *delivery) (sources.Outcome, error) {
	var rf refund
	if err := d.decode(&rf, "refund"); err != nil {
		return sources.Outcome{}, err
	}
	id, orderID := rf.ID.ID(), rf.OrderID.ID()
	if id == "" || orderID == "" {
		return sources.Outcome{}, sources.Unprocessable("the refund lacks its id or its order_id")
	}
	subject, err := d.customerOfOrder(ctx, orderID, "")
	if err != nil {
		return sources.Outcome{}, err
	}
	if subject == "" {
		if d.orders == nil {
			return sources.Outcome{Warn: true, Skip: "refund " + id + " of order " + orderID + " dropped: a refund does not name its customer, " +
				"and no order lookup (sources.OrderCustomers) is configured to find it"}, nil
		}
		return sources.Outcome{Skip: "refund " + id + " of order " + orderID + " dropped: the order was never received, so no customer is concerned"}, nil
	}
	amount, currency, err := refundAmount(&rf)
	if err != nil {
		return sources.Outcome{}, sources.Unprocessable("refund %s: %v", id, err)
	}
	data := map[string]any{"order_id": orderID, "refund_id": id, "amount": amount}
	put(data, "currency", currency)
	put(data, "note", rf.Note)
	return sources.Outcome{Subject: subject, Events: []event.Event{
		d.event(event.OrderRefunded, d.id("refund", id), subject, d.time(rf.CreatedAt, rf.ProcessedAt), data),
	}}, nil
}

// refundAmount is the money returned: the refund transactions that did not fail, or, when the
// refund moved no money through a transaction, the subtotals of the refunded lines.
func refundAmount(rf *refund) (amount any, currency string, err error) {
	sum, places, n := decimal.Zero, int32(0), 0
	add := func(v sources.Number) error {
		x, err := v.Decimal()
		if err != nil {
			return err
		}
		sum = sum.Add(x)
		places = max(places, sources.Places(v))
		n++
		return nil
	}
	for _, t := range rf.Transactions {
		if !strings.EqualFold(t.Kind, "refund") || strings.EqualFold(t.Status, "failure") || strings.EqualFold(t.Status, "error") {
			continue
		}
		if err := add(t.Amount); err != nil {
			return nil, "", err
		}
		currency = firstOf(currency, t.Currency)
	}
	if n == 0 {
		for _, l := range rf.RefundLineItems {
			if l.Subtotal == "" {
				continue
			}
			if err := add(l.Subtotal); err != nil {
				return nil, "", err
			}
		}
	}
	return sources.Money(sum, places), currency, nil
}
