package shopifycsv

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/afterglowhq/afterglow/event"
)

// Converter turns the export's orders and customers into canonical events, with the ids and
// subjects that Shopify's webhooks give the same facts.
type Converter struct {
	// Source is the events' source, "shopify/<shop>.myshopify.com" as the webhooks set it. Event
	// ids start with it, so an order that is both imported and received by webhook is stored once.
	Source string
	// IDs gives the customer id of a lowercased email, from the customers export. An email that
	// is not there is a guest, known by the email itself, as the webhooks know guests.
	IDs map[string]string
	// FirstOrder is each customer's first order in the export, by subject: their created_at,
	// since neither export says when a customer registered.
	FirstOrder map[string]time.Time
}

// Subject is the customer id of an order's email, and whether the customers export gave it. An
// order without an email has no subject ("").
func (c *Converter) Subject(email string) (subject string, known bool) {
	e := NormEmail(email)
	if e == "" {
		return "", false
	}
	if id, ok := c.IDs[e]; ok {
		return id, true
	}
	return e, false
}

// CustomerSubject is the customer id of a row of the customers export: its Customer ID, else its
// lowercased email.
func CustomerSubject(cu *Customer) string {
	if cu.ID != "" {
		return cu.ID
	}
	return NormEmail(cu.Email)
}

func (c *Converter) id(parts ...string) string { return c.Source + "/" + strings.Join(parts, "/") }

func (c *Converter) event(typ, id, subject string, t time.Time, data map[string]any) event.Event {
	return event.Event{SpecVersion: event.SpecVersion, ID: id, Source: c.Source, Type: typ, Subject: subject, Time: t, Data: data}
}

// OrderEvents are an order's events, in time order: the buyer's details (for a buyer the
// customers export does not list), order.placed, and order.cancelled and order.refunded when the
// export says so. An order without an email gives none: nobody can be told to have bought it.
func (c *Converter) OrderEvents(o *Order) []event.Event {
	subject, known := c.Subject(o.Email)
	if subject == "" {
		return nil
	}
	oid := o.OrderID()
	var evs []event.Event
	if !known {
		evs = append(evs, c.event(event.CustomerUpdated, c.id("order", oid, "customer"), subject, o.CreatedAt, c.buyer(o, subject)))
	}
	evs = append(evs, c.event(event.OrderPlaced, c.id("order", oid, "placed"), subject, o.CreatedAt, placed(o, oid)))
	if o.Cancelled() {
		evs = append(evs, c.event(event.OrderCancelled, c.id("order", oid, "cancelled"), subject, o.CancelledAt,
			map[string]any{"order_id": oid, "order_name": o.Name}))
	}
	if amount, ok := Refunded(o); ok {
		evs = append(evs, c.event(event.OrderRefunded, c.id("order", oid, "refunded"), subject, refundTime(o),
			map[string]any{"order_id": oid, "order_name": o.Name, "amount": json.Number(amount), "currency": o.Currency}))
	}
	return evs
}

// Refunded is the money an order gave back: Refunded Amount when the export has it; without the
// column, the whole Total of an order whose Financial Status is refunded.
func Refunded(o *Order) (string, bool) {
	amount := o.RefundedAmount
	if amount == "" && o.FinancialStatus == "refunded" {
		amount = o.Total
	}
	d, err := decimal.NewFromString(amount)
	if err != nil || !d.IsPositive() {
		return "", false
	}
	return amount, true
}

// refundTime: the export does not say when money went back, so a refund is dated at the order's
// last known moment (cancelled, fulfilled, paid or placed), which is never before the order.
func refundTime(o *Order) time.Time {
	t := o.CreatedAt
	for _, u := range []time.Time{o.PaidAt, o.FulfilledAt, o.CancelledAt} {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// placed is order.placed's data, with the keys the orders/create webhook gives it.
func placed(o *Order, oid string) map[string]any {
	items := make([]any, 0, len(o.Items))
	for _, it := range o.Items {
		m := map[string]any{}
		put(m, "sku", it.SKU)
		put(m, "name", it.Name)
		if it.Quantity != "" {
			m["quantity"] = json.Number(it.Quantity)
		}
		if it.Price != "" {
			m["price"] = json.Number(it.Price)
		}
		put(m, "vendor", it.Vendor)
		items = append(items, m)
	}
	d := map[string]any{"order_id": oid, "order_name": o.Name, "total": json.Number(o.Total), "currency": o.Currency, "items": items}
	for k, v := range map[string]string{"subtotal": o.Subtotal, "shipping": o.Shipping, "taxes": o.Taxes, "discounts": o.DiscountAmount} {
		if v != "" {
			d[k] = json.Number(v)
		}
	}
	codes := []any{}
	if o.DiscountCode != "" {
		codes = append(codes, o.DiscountCode)
	}
	d["discount_codes"] = codes
	put(d, "financial_status", o.FinancialStatus)
	put(d, "fulfillment_status", o.FulfillmentStatus)
	put(d, "source_name", o.Source)
	d["tags"] = anyList(o.Tags)
	return d
}

// buyer is what an order tells about a buyer the customers export does not list, as the
// orders/create webhook does: the email, the billing name, the phone, and email consent when the
// box was ticked (an unticked box withdraws nothing).
func (c *Converter) buyer(o *Order, subject string) map[string]any {
	d := map[string]any{}
	put(d, "email", o.Email)
	first, last := splitName(o.BillingName)
	put(d, "first_name", first)
	put(d, "last_name", last)
	put(d, "phone", o.Phone)
	if o.AcceptsMarketing != nil && *o.AcceptsMarketing {
		d["consent"] = map[string]any{"email": true}
	}
	c.createdAt(d, subject)
	return d
}

// CustomerEvent is a row of the customers export as customer.created: the customer as the shop
// knows them when it exported, so it is dated at (the last order of the export), after every
// order, and its consent and details win over what older orders said.
func (c *Converter) CustomerEvent(cu *Customer, at time.Time) event.Event {
	subject := CustomerSubject(cu)
	d := map[string]any{}
	put(d, "email", cu.Email)
	put(d, "first_name", cu.FirstName)
	put(d, "last_name", cu.LastName)
	put(d, "phone", cu.Phone)
	put(d, "company", cu.Company)
	put(d, "country", cu.Country)
	d["tags"] = anyList(cu.Tags)
	consent := map[string]any{}
	for ch, v := range map[string]*bool{"email": cu.AcceptsEmail, "sms": cu.AcceptsSMS, "whatsapp": cu.AcceptsWhatsApp} {
		if v != nil {
			consent[ch] = *v
		}
	}
	if len(consent) > 0 {
		d["consent"] = consent
	}
	c.createdAt(d, subject)
	return c.event(event.CustomerCreated, c.id("customer", subject, "created"), subject, at, d)
}

func (c *Converter) createdAt(d map[string]any, subject string) {
	if t, ok := c.FirstOrder[subject]; ok {
		d["created_at"] = t.Format(time.RFC3339)
	}
}

// splitName splits a billing name at its first space: the export has the whole name only.
func splitName(s string) (first, last string) {
	s = strings.Join(strings.Fields(s), " ")
	first, last, _ = strings.Cut(s, " ")
	return first, last
}

func put(d map[string]any, k, v string) {
	if v != "" {
		d[k] = v
	}
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
