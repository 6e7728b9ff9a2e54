package shopify

import (
	"context"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

// delivery is one received notice and what every converter needs to make events of it.
type delivery struct {
	topic      string
	source     string // shopify/<shop domain>
	deliveryID string // the same on every redelivery of this notice
	triggered  time.Time
	now        time.Time
	body       []byte
	orders     sources.OrderCustomers
	testOrders bool // test orders are processed, not ignored
}

func (d *delivery) decode(v any, what string) error {
	if err := sources.DecodeJSON(d.body, v); err != nil {
		return sources.Unprocessable("the body does not have the shape of a Shopify %s (%v): check the webhook's topic and API version", what, err)
	}
	return nil
}

// id makes an event id from the facts that identify it, so that a redelivery gets the same id and
// is dropped.
func (d *delivery) id(parts ...string) string {
	return d.source + "/" + strings.Join(parts, "/")
}

// time is the first of the resource's timestamps that reads as RFC 3339, else the moment Shopify
// says it triggered the webhook, else now.
func (d *delivery) time(stamps ...string) time.Time {
	for _, s := range stamps {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t
		}
	}
	if !d.triggered.IsZero() {
		return d.triggered
	}
	return d.now
}

func (d *delivery) event(typ, id, subject string, t time.Time, data map[string]any) event.Event {
	return event.Event{
		SpecVersion: event.SpecVersion,
		ID:          id,
		Source:      d.source,
		Type:        typ,
		Subject:     subject,
		Time:        t,
		Data:        data,
	}
}

// customerOfOrder finds who placed an order the notice names without its customer: the sink's
// record of the order first, so that the events join the order's customer, then the email the
// notice carries, if any. "" means nobody is known.
func (d *delivery) customerOfOrder(ctx context.Context, orderID, email string) (string, error) {
	if d.orders != nil {
		c, found, err := d.orders.CustomerOfOrder(ctx, d.source, orderID)
		if err != nil {
			return "", sources.Unavailable(err, "could not look up the customer of order %s: retry later", orderID)
		}
		if found && c != "" {
			return c, nil
		}
	}
	return normEmail(email), nil
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
