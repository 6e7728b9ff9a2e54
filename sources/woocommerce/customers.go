package woocommerce

import (
	"context"
	"time"

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

func customerData(c *customer) map[string]any {
	d := map[string]any{}
	put(d, "email", c.Email)
	put(d, "first_name", c.FirstName)
	put(d, "last_name", c.LastName)
	putIfMissing(d, "email", c.Billing.Email)
	putIfMissing(d, "first_name", c.Billing.FirstName)
	putIfMissing(d, "last_name", c.Billing.LastName)
	put(d, "phone", c.Billing.Phone)
	if t, ok := parseGMT(c.DateCreatedGMT); ok {
		d["created_at"] = t.Format(time.RFC3339)
	}
	return d
}

// customerCreated: a customer is created once, so its id is keyed by the customer.
func customerCreated(_ context.Context, d *delivery) (sources.Outcome, error) {
	c, id, err := readCustomer(d)
	if err != nil {
		return sources.Outcome{}, err
	}
	return sources.Outcome{Subject: id, Events: []event.Event{
		d.event(event.CustomerCreated, d.id("customer", id, "created"), id, d.time(c.DateCreatedGMT), customerData(c)),
	}}, nil
}

// customerUpdated: updates repeat, so the id is keyed by the delivery.
func customerUpdated(_ context.Context, d *delivery) (sources.Outcome, error) {
	c, id, err := readCustomer(d)
	if err != nil {
		return sources.Outcome{}, err
	}
	return sources.Outcome{Subject: id, Events: []event.Event{
		d.event(event.CustomerUpdated, d.id("customer", id, "updated", d.deliveryID), id, d.time(c.DateModifiedGMT, c.DateCreatedGMT), customerData(c)),
	}}, nil
}
