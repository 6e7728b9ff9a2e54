package shopify

import (
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/event"
)

// customerData is the attributes a customer record gives, for customer.created/updated.
func customerData(c *customer) map[string]any {
	d := map[string]any{}
	put(d, "email", c.Email)
	put(d, "first_name", c.FirstName)
	put(d, "last_name", c.LastName)
	put(d, "phone", c.Phone)
	put(d, "locale", c.Locale)
	if c.Tags != nil {
		d["tags"] = splitTags(*c.Tags)
	}
	if _, err := time.Parse(time.RFC3339, c.CreatedAt); err == nil {
		d["created_at"] = c.CreatedAt
	}
	if consent := recordConsent(c); len(consent) > 0 {
		d["consent"] = consent
	}
	return d
}

// recordConsent is the consent the customer record states without saying when it was given: it
// counts from the record's own time. The current consent objects win over the older
// accepts_marketing flag, which only legacy payloads carry. A consent object that says when it
// changed becomes an event of its own instead (datedConsent).
func recordConsent(c *customer) map[string]any {
	m := map[string]any{}
	switch {
	case c.EmailConsent != nil && c.EmailConsent.State != "":
		if _, dated := c.EmailConsent.changedAt(); !dated {
			m["email"] = subscribed(c.EmailConsent.State)
		}
	case c.AcceptsMarketing != nil:
		m["email"] = *c.AcceptsMarketing
	}
	if c.SMSConsent != nil && c.SMSConsent.State != "" {
		if _, dated := c.SMSConsent.changedAt(); !dated {
			m["sms"] = subscribed(c.SMSConsent.State)
		}
	}
	return m
}

// changedAt is when the customer last gave or withdrew this consent, when Shopify says.
func (s *consentState) changedAt() (time.Time, bool) {
	if s == nil || s.State == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s.ConsentUpdatedAt)
	return t, err == nil
}

// datedConsent turns the consent a customer record states with its own time into consent.updated
// events dated that time. Consent is decided by event time, and a customer record arrives with
// every later change of the profile (an address, a tag): dated by the record, a subscription given
// in 2023 would undo an unsubscribe clicked in an Afterglow email yesterday, which Shopify never
// hears of. The id names the change itself, so every record repeating it is one event.
func datedConsent(d *delivery, subject string, c *customer) []event.Event {
	if c == nil {
		return nil
	}
	var evs []event.Event
	for _, ch := range []struct {
		name  string
		state *consentState
	}{{"email", c.EmailConsent}, {"sms", c.SMSConsent}} {
		at, ok := ch.state.changedAt()
		if !ok {
			continue
		}
		data := map[string]any{"channel": ch.name, "granted": subscribed(ch.state.State)}
		put(data, "state", ch.state.State)
		put(data, "opt_in_level", ch.state.OptInLevel)
		id := d.id("customer", subject, "consent", ch.name, ch.state.State, at.UTC().Format(time.RFC3339))
		evs = append(evs, d.event(event.ConsentUpdated, id, subject, at, data))
	}
	return evs
}

// subscribed reads Shopify's marketing states: only "subscribed" is consent; "pending" (a double
// opt-in not yet confirmed), "not_subscribed", "unsubscribed", "redacted" and "invalid" are not.
func subscribed(state string) bool { return strings.EqualFold(state, "subscribed") }

// attributes is what an order or a checkout tells about its buyer: the customer record when there
// is one, completed by what was typed at checkout.
//
// buyer_accepts_marketing only ever grants email consent: false means the box was not ticked at
// this checkout (Shopify hides it from customers already subscribed), not that consent was
// withdrawn.
func (b *buyer) attributes() map[string]any {
	d := map[string]any{}
	if b.Customer != nil {
		d = customerData(b.Customer)
	}
	putIfMissing(d, "email", firstOf(b.Email, b.ContactEmail))
	if b.BillingAddress != nil {
		putIfMissing(d, "first_name", b.BillingAddress.FirstName)
		putIfMissing(d, "last_name", b.BillingAddress.LastName)
	}
	putIfMissing(d, "phone", b.Phone)
	putIfMissing(d, "locale", b.CustomerLocale)
	if b.BuyerAcceptsMarketing != nil && *b.BuyerAcceptsMarketing {
		consent, _ := d["consent"].(map[string]any)
		if consent == nil {
			consent = map[string]any{}
		}
		consent["email"] = true
		d["consent"] = consent
	}
	return d
}

// subject is the buyer's customer id: the Shopify customer's, else the lowercased email of a guest.
func (b *buyer) subject() string {
	if b.Customer != nil {
		if id := b.Customer.ID.ID(); id != "" {
			return id
		}
	}
	var customerEmail string
	if b.Customer != nil {
		customerEmail = b.Customer.Email
	}
	return normEmail(firstOf(b.Email, b.ContactEmail, customerEmail))
}

func items(lines []lineItem) []any {
	out := make([]any, 0, len(lines))
	for _, li := range lines {
		it := map[string]any{}
		put(it, "sku", li.SKU)
		put(it, "product_id", li.ProductID.ID())
		put(it, "variant_id", li.VariantID.ID())
		put(it, "name", firstOf(li.Name, li.Title))
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

// splitTags reads Shopify's comma-separated tags.
func splitTags(s string) []any {
	out := []any{}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func put(d map[string]any, key, value string) {
	if value = strings.TrimSpace(value); value != "" {
		d[key] = value
	}
}

func putIfMissing(d map[string]any, key, value string) {
	if _, ok := d[key]; !ok {
		put(d, key, value)
	}
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
