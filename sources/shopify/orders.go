package shopify

import (
	"context"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

// readOrder decodes an order notice and finds its id and customer. An order nobody can be found
// for is refused: it cannot join any customer's history. A test order is skipped (the Outcome
// says why) unless the settings accept them.
func readOrder(d *delivery) (*order, string, string, *sources.Outcome, error) {
	var o order
	if err := d.decode(&o, "order"); err != nil {
		return nil, "", "", nil, err
	}
	id := o.ID.ID()
	if id == "" {
		return nil, "", "", nil, sources.Unprocessable("the order has no id: check the webhook's topic (%s)", d.topic)
	}
	if o.Test && !d.testOrders {
		return nil, "", "", &sources.Outcome{Skip: "order " + id + " is a test order (set sources.shopify.test_orders: accept to process test orders)"}, nil
	}
	subject := o.subject()
	if subject == "" {
		return nil, "", "", nil, sources.Unprocessable("order %s has neither a customer nor an email (email, contact_email), so Afterglow cannot tell whose it is; nothing was stored", id)
	}
	return &o, id, subject, nil, nil
}

// ordersCreate: the buyer's attributes, then the order. The customer.updated is keyed by the order
// so that a redelivered order drops it too.
func ordersCreate(_ context.Context, d *delivery) (sources.Outcome, error) {
	o, id, subject, skip, err := readOrder(d)
	if err != nil || skip != nil {
		return skipped(skip), err
	}
	t := d.time(o.ProcessedAt, o.CreatedAt)
	var evs []event.Event
	if attrs := o.attributes(); len(attrs) > 0 {
		evs = append(evs, d.event(event.CustomerUpdated, d.id("order", id, "customer"), subject, t, attrs))
	}
	evs = append(evs, datedConsent(d, subject, o.Customer)...)
	evs = append(evs, d.event(event.OrderPlaced, d.id("order", id, "placed"), subject, t, orderData(o, id)))
	return sources.Outcome{Events: evs, Subject: subject}, nil
}

// ordersPaid: order.paid, with the order's data. Shopify gives no payment time: the order's
// updated_at is when it changed to paid.
func ordersPaid(_ context.Context, d *delivery) (sources.Outcome, error) {
	o, id, subject, skip, err := readOrder(d)
	if err != nil || skip != nil {
		return skipped(skip), err
	}
	t := d.time(o.UpdatedAt, o.ProcessedAt, o.CreatedAt)
	return sources.Outcome{Subject: subject, Events: []event.Event{
		d.event("order.paid", d.id("order", id, "paid"), subject, t, orderData(o, id)),
	}}, nil
}

func ordersCancelled(_ context.Context, d *delivery) (sources.Outcome, error) {
	o, id, subject, skip, err := readOrder(d)
	if err != nil || skip != nil {
		return skipped(skip), err
	}
	data := map[string]any{"order_id": id}
	put(data, "order_name", o.Name)
	put(data, "order_number", o.OrderNumber.ID())
	put(data, "reason", o.CancelReason)
	t := d.time(o.CancelledAt, o.UpdatedAt)
	return sources.Outcome{Subject: subject, Events: []event.Event{
		d.event(event.OrderCancelled, d.id("order", id, "cancelled"), subject, t, data),
	}}, nil
}

func skipped(o *sources.Outcome) sources.Outcome {
	if o == nil {
		return sources.Outcome{}
	}
	return *o
}

// orderData is order.placed's data: what the canonical event requires, and what flows commonly branch on.
func orderData(o *order, id string) map[string]any {
	data := map[string]any{"order_id": id, "items": items(o.LineItems)}
	if total, ok := o.TotalPrice.Amount(); ok {
		data["total"] = total
	} else if total, ok := o.CurrentTotalPrice.Amount(); ok {
		data["total"] = total
	}
	put(data, "currency", o.Currency)
	if v, ok := o.SubtotalPrice.Amount(); ok {
		data["subtotal"] = v
	}
	if v, ok := o.TotalDiscounts.Amount(); ok {
		data["discounts"] = v
	}
	put(data, "order_name", o.Name)
	put(data, "order_number", o.OrderNumber.ID())
	put(data, "financial_status", o.FinancialStatus)
	codes := []any{}
	for _, c := range o.DiscountCodes {
		if c.Code != "" {
			codes = append(codes, c.Code)
		}
	}
	data["discount_codes"] = codes
	put(data, "landing_site", o.LandingSite)
	put(data, "referring_site", o.ReferringSite)
	put(data, "source_name", o.SourceName)
	put(data, "status_url", o.OrderStatusURL)
	// The checkout it came from, named as checkouts/create names it (id, else token), so that a
	// flow waiting since checkout.started knows its order.
	put(data, "checkout_id", firstOf(o.CheckoutID.ID(), o.CheckoutToken))
	data["tags"] = splitTags(o.Tags)
	if o.Test {
		data["test"] = true
	}
	return data
}

// checkoutsCreate: the buyer's attributes (a guest's email and consent are all an abandoned
// checkout flow has to go on), then checkout.started.
func checkoutsCreate(_ context.Context, d *delivery) (sources.Outcome, error) {
	var c checkout
	if err := d.decode(&c, "checkout"); err != nil {
		return sources.Outcome{}, err
	}
	id := firstOf(c.ID.ID(), c.Token)
	if id == "" {
		return sources.Outcome{}, sources.Unprocessable("the checkout has neither an id nor a token")
	}
	subject := c.subject()
	if subject == "" {
		return sources.Outcome{}, sources.Unprocessable("checkout %s has neither a customer nor an email, so Afterglow cannot tell whose it is; nothing was stored", id)
	}
	t := d.time(c.CreatedAt, c.UpdatedAt)
	data := map[string]any{"checkout_id": id, "items": items(c.LineItems)}
	if v, ok := c.TotalPrice.Amount(); ok {
		data["total"] = v
	}
	if v, ok := c.SubtotalPrice.Amount(); ok {
		data["subtotal"] = v
	}
	put(data, "currency", firstOf(c.Currency, c.PresentmentCurrency))
	put(data, "url", c.AbandonedCheckoutURL)
	var evs []event.Event
	if attrs := c.attributes(); len(attrs) > 0 {
		evs = append(evs, d.event(event.CustomerUpdated, d.id("checkout", id, "customer"), subject, t, attrs))
	}
	evs = append(evs, datedConsent(d, subject, c.Customer)...)
	evs = append(evs, d.event(event.CheckoutStarted, d.id("checkout", id, "started"), subject, t, data))
	return sources.Outcome{Events: evs, Subject: subject}, nil
}
