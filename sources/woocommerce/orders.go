package woocommerce

import (
	"context"
	"html"
	"strings"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

// placedStatuses are the statuses of an order that was paid for, or will be (on-hold: awaiting a
// bank transfer the shop accepted). pending and failed orders were not paid.
var placedStatuses = map[string]bool{"processing": true, "on-hold": true, "completed": true}

// readOrder decodes an order notice and finds its id and customer: the WooCommerce customer id, or
// the lowercased billing email of a guest (customer_id 0). The customer may be "" here: only a
// notice that states a fact needs one.
func readOrder(d *delivery) (*order, string, string, error) {
	var o order
	if err := d.decode(&o, "order"); err != nil {
		return nil, "", "", err
	}
	id := o.ID.ID()
	if id == "" {
		return nil, "", "", sources.Unprocessable("the order has no id: check the webhook's topic (%s)", d.topic)
	}
	subject := o.CustomerID.ID()
	if subject == "" {
		subject = strings.ToLower(strings.TrimSpace(o.Billing.Email))
	}
	return &o, id, subject, nil
}

// outcome refuses facts nobody can be found for: they cannot join any customer's history.
func outcome(o *order, id, subject string, evs []event.Event) (sources.Outcome, error) {
	if len(evs) == 0 {
		return sources.Outcome{Subject: subject, Skip: "order " + id + " is " + o.Status + ": no fact to record"}, nil
	}
	if subject == "" {
		return sources.Outcome{}, sources.Unprocessable("order %s has neither a customer (customer_id is 0) nor a billing email, so Afterglow cannot tell whose it is; nothing was stored", id)
	}
	return sources.Outcome{Events: evs, Subject: subject}, nil
}

// orderCreated: the buyer's attributes (keyed by the order, so a redelivery drops them), then the
// facts the order's status already states. A checkout draft is not an order yet.
func orderCreated(_ context.Context, d *delivery) (sources.Outcome, error) {
	o, id, subject, err := readOrder(d)
	if err != nil {
		return sources.Outcome{}, err
	}
	if strings.EqualFold(o.Status, "checkout-draft") {
		return sources.Outcome{Subject: subject, Skip: "order " + id + " is a checkout draft"}, nil
	}
	var evs []event.Event
	if attrs := buyer(o); len(attrs) > 0 && subject != "" {
		evs = append(evs, d.event(event.CustomerUpdated, d.id("order", id, "customer"), subject, d.time(o.DateCreatedGMT, o.DateModifiedGMT), attrs))
	}
	facts, err := statusFacts(d, o, id, subject)
	if err != nil {
		return sources.Outcome{}, err
	}
	return outcome(o, id, subject, append(evs, facts...))
}

// orderUpdated: the facts the order's status states. Every fact has one id per order (per refund
// for refunds), so the many order.updated notices of one order repeat none.
func orderUpdated(_ context.Context, d *delivery) (sources.Outcome, error) {
	o, id, subject, err := readOrder(d)
	if err != nil {
		return sources.Outcome{}, err
	}
	evs, err := statusFacts(d, o, id, subject)
	if err != nil {
		return sources.Outcome{}, err
	}
	return outcome(o, id, subject, evs)
}

// statusFacts reads an order's status as facts:
//   - processing, on-hold, completed: order.placed, with the order's creation time, so that it is
//     the same event whichever notice brings it first (an order may go from pending straight to
//     completed);
//   - completed: also order.fulfilled (WooCommerce's "completed" means shipped);
//   - cancelled: order.cancelled;
//   - every refund listed: order.refunded, one per refund (partial refunds leave the status as it
//     was); refunded without a refund listed: one order.refunded of the whole total.
func statusFacts(d *delivery, o *order, id, subject string) ([]event.Event, error) {
	status := strings.ToLower(o.Status)
	var evs []event.Event
	if placedStatuses[status] {
		evs = append(evs, d.event(event.OrderPlaced, d.id("order", id, "placed"), subject, d.time(o.DateCreatedGMT, o.DateModifiedGMT), orderData(o, id)))
	}
	switch status {
	case "completed":
		data := map[string]any{"order_id": id, "items": items(o.LineItems)}
		put(data, "order_number", string(o.Number))
		evs = append(evs, d.event(event.OrderFulfilled, d.id("order", id, "fulfilled"), subject, d.time(o.DateCompletedGMT, o.DateModifiedGMT), data))
	case "cancelled":
		data := map[string]any{"order_id": id}
		put(data, "order_number", string(o.Number))
		evs = append(evs, d.event(event.OrderCancelled, d.id("order", id, "cancelled"), subject, d.time(o.DateModifiedGMT), data))
	}
	refunds, err := refundFacts(d, o, id, subject, status == "refunded")
	return append(evs, refunds...), err
}

func refundFacts(d *delivery, o *order, id, subject string, refunded bool) ([]event.Event, error) {
	t := d.time(o.DateModifiedGMT)
	var evs []event.Event
	for _, rf := range o.Refunds {
		rid := rf.ID.ID()
		amount, err := rf.Total.Decimal()
		if rid == "" || err != nil {
			return nil, sources.Unprocessable("order %s lists a refund without an id or a total", id)
		}
		// WooCommerce writes refund totals as negative amounts: the event carries the money returned.
		data := map[string]any{"order_id": id, "refund_id": rid, "amount": sources.Money(amount.Abs(), sources.Places(rf.Total))}
		put(data, "currency", o.Currency)
		put(data, "reason", rf.Reason)
		evs = append(evs, d.event(event.OrderRefunded, d.id("refund", rid), subject, t, data))
	}
	if refunded && len(evs) == 0 {
		total, ok := o.Total.Amount()
		if !ok {
			return nil, sources.Unprocessable("order %s is refunded but lists no refund and no total", id)
		}
		data := map[string]any{"order_id": id, "amount": total}
		put(data, "currency", o.Currency)
		evs = append(evs, d.event(event.OrderRefunded, d.id("order", id, "refunded"), subject, t, data))
	}
	return evs, nil
}

func orderData(o *order, id string) map[string]any {
	data := map[string]any{"order_id": id, "items": items(o.LineItems)}
	if v, ok := o.Total.Amount(); ok {
		data["total"] = v
	}
	put(data, "currency", o.Currency)
	if v, ok := o.DiscountTotal.Amount(); ok {
		data["discounts"] = v
	}
	if v, ok := o.ShippingTotal.Amount(); ok {
		data["shipping"] = v
	}
	put(data, "order_number", string(o.Number))
	put(data, "payment_method", o.PaymentMethod)
	put(data, "created_via", o.CreatedVia)
	codes := []any{}
	for _, c := range o.CouponLines {
		if c.Code != "" {
			codes = append(codes, c.Code)
		}
	}
	data["discount_codes"] = codes
	return data
}

func items(lines []lineItem) []any {
	out := make([]any, 0, len(lines))
	for _, li := range lines {
		it := map[string]any{}
		put(it, "sku", li.SKU)
		put(it, "product_id", li.ProductID.ID())
		put(it, "variant_id", li.VariationID.ID())
		// WooCommerce stores product names HTML-escaped ("Idea &ndash; Black"); messages escape for
		// themselves.
		put(it, "name", html.UnescapeString(li.Name))
		if li.Quantity != "" {
			it["quantity"] = li.Quantity.JSON()
		}
		if p, ok := li.Price.Amount(); ok {
			it["price"] = p
		}
		out = append(out, it)
	}
	return out
}

// buyer is what an order tells about its buyer: the billing contact.
func buyer(o *order) map[string]any {
	d := map[string]any{}
	put(d, "email", o.Billing.Email)
	put(d, "first_name", o.Billing.FirstName)
	put(d, "last_name", o.Billing.LastName)
	put(d, "phone", o.Billing.Phone)
	return d
}
