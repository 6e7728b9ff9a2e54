package shopify

import (
	"context"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

func readCustomer(d *delivery) (*customer, string, error) {
	var c customer
	if err := d.decode(&c, "customer"); err != nil {
		return nil, "", err
	}
	id := c.ID.ID()
	if id == "" {
		return nil, "", sources.Unprocessable("the customer has no id: check the webhook's topic (%s)", d.topic)
	}
	return &c, id, nil
}

// customersCreate: a customer is created once, so its id is keyed by the customer.
func customersCreate(_ context.Context, d *delivery) (sources.Outcome, error) {
	c, id, err := readCustomer(d)
	if err != nil {
		return sources.Outcome{}, err
	}
	evs := []event.Event{d.event(event.CustomerCreated, d.id("customer", id, "created"), id, d.time(c.CreatedAt), customerData(c))}
	return sources.Outcome{Subject: id, Events: append(evs, datedConsent(d, id, c)...)}, nil
}

// customersUpdate: updates repeat, so the id is keyed by the delivery; only a redelivery of the
// same notice has the same one.
func customersUpdate(_ context.Context, d *delivery) (sources.Outcome, error) {
	c, id, err := readCustomer(d)
	if err != nil {
		return sources.Outcome{}, err
	}
	evs := []event.Event{d.event(event.CustomerUpdated, d.id("customer", id, "updated", d.deliveryID), id, d.time(c.UpdatedAt), customerData(c))}
	return sources.Outcome{Subject: id, Events: append(evs, datedConsent(d, id, c)...)}, nil
}

func emailConsentUpdate(_ context.Context, d *delivery) (sources.Outcome, error) {
	var ec emailConsent
	if err := d.decode(&ec, "email marketing consent"); err != nil {
		return sources.Outcome{}, err
	}
	return consentEvent(d, ec.CustomerID.ID(), "email", ec.Consent)
}

func smsConsentUpdate(_ context.Context, d *delivery) (sources.Outcome, error) {
	var sc smsConsent
	if err := d.decode(&sc, "SMS marketing consent"); err != nil {
		return sources.Outcome{}, err
	}
	return consentEvent(d, sc.ID.ID(), "sms", sc.Consent)
}

// consentEvent makes consent.updated for one channel. A notice without a state says nothing about
// consent and is acknowledged without an event.
func consentEvent(d *delivery, id, channel string, c *consentState) (sources.Outcome, error) {
	if id == "" {
		return sources.Outcome{}, sources.Unprocessable("the %s consent notice has no customer id", channel)
	}
	if c == nil || c.State == "" {
		return sources.Outcome{Subject: id, Skip: "the " + channel + " consent notice carries no consent state"}, nil
	}
	data := map[string]any{"channel": channel, "granted": subscribed(c.State)}
	put(data, "state", c.State)
	put(data, "opt_in_level", c.OptInLevel)
	return sources.Outcome{Subject: id, Events: []event.Event{
		d.event(event.ConsentUpdated, d.id("customer", id, "consent", channel, d.deliveryID), id, d.time(c.ConsentUpdatedAt), data),
	}}, nil
}
