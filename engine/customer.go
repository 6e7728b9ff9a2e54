package engine

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// reserved are customer fields an event cannot set directly: the id is the subject, and the
// metrics are computed from orders.
var reserved = map[string]bool{"id": true, "orders_count": true, "total_spent": true, "first_order_at": true, "last_order_at": true}

// applyEvent updates the customer from an event before any flow looks at it, at the moment now it
// is processed. It returns a note when the event could not be applied in full.
func applyEvent(c *store.Customer, ev *event.Event, now time.Time) string {
	if c.Attrs == nil {
		c.Attrs = map[string]any{}
	}
	// A customer first seen in this event was created no later than the event.
	if c.New && (c.CreatedAt.IsZero() || ev.Time.Before(c.CreatedAt)) {
		c.CreatedAt = ev.Time
	}
	switch ev.Type {
	case event.CustomerCreated, event.CustomerUpdated:
		for k, v := range ev.Data {
			switch {
			case reserved[k]:
			case k == "consent":
				m, _ := v.(map[string]any)
				for ch, g := range m {
					setConsent(c, ch, g, ev, now)
				}
			case k == "created_at":
				if t, err := exprs.ParseTime(asString(v)); err == nil {
					c.CreatedAt = t
				}
			case v == nil:
				delete(c.Attrs, k)
			default:
				c.Attrs[k] = v
			}
		}
	case event.ConsentUpdated:
		ch, _ := ev.Data["channel"].(string)
		setConsent(c, ch, ev.Data["granted"], ev, now)
	}
	return ""
}

// setConsent records an answer on a channel unless the customer gave a newer one: consent is
// decided by event time, so a late event (a retried order placed before an unsubscribe, carrying
// buyer_accepts_marketing) never undoes a newer withdrawal. An answer counts from its event's time
// but no later than the moment it was processed, so that an event stamped ahead of the clock cannot
// outlast the customer's next click; at the same moment a withdrawal wins over a grant.
func setConsent(c *store.Customer, channel string, granted any, ev *event.Event, now time.Time) {
	if channel == "" {
		return
	}
	var g *bool
	switch v := granted.(type) {
	case bool:
		g = &v
	case nil:
	case string:
		b := strings.EqualFold(v, "true") || strings.EqualFold(v, "yes") || v == "granted"
		g = &b
	default:
		return
	}
	at := ev.Time
	if !now.IsZero() && at.After(now) {
		at = now
	}
	if old, ok := c.Consent[channel]; ok {
		withdrawal := g != nil && !*g
		if at.Before(old.At) || at.Equal(old.At) && !withdrawal {
			return
		}
	}
	if c.Consent == nil {
		c.Consent = map[string]store.Consent{}
	}
	c.Consent[channel] = store.Consent{Granted: g, At: at, EventID: ev.ID, EventType: ev.Type}
}

// consentValues is `customer.consent`: each channel's answer as true, false or nil.
func consentValues(c *store.Customer) map[string]any {
	m := make(map[string]any, len(c.Consent))
	for ch, v := range c.Consent {
		m[ch] = v.Value()
	}
	return m
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return ""
}

// customerVars is the `customer` of expressions and templates: attributes with their declared
// types, plus the built-in and computed fields.
func customerVars(c *store.Customer, t *exprs.Type) map[string]any {
	m := make(map[string]any, len(c.Attrs)+8)
	for k, v := range c.Attrs {
		var ft *exprs.Type
		if t != nil {
			ft = t.Fields[k]
		}
		m[k] = exprs.Convert(v, ft)
	}
	m["id"] = c.ID
	m["orders_count"] = c.OrdersCount
	m["total_spent"], _ = c.TotalSpent.Float64()
	setTime(m, "created_at", c.CreatedAt)
	setTime(m, "first_order_at", c.FirstOrderAt)
	setTime(m, "last_order_at", c.LastOrderAt)
	m["consent"] = consentValues(c)
	return m
}

func setTime(m map[string]any, k string, t time.Time) {
	if t.IsZero() {
		delete(m, k)
		return
	}
	m[k] = t
}

// eventVars is `event` and `trigger`: the envelope with data made comparable, each field as the
// event catalog types it (money sent as "59.90" is the number 59.9, an id sent as 1001 the text
// "1001"), so that conditions compare what validate checked them against.
func (fs *FlowSet) eventVars(ev *event.Event) map[string]any {
	if ev == nil {
		return nil
	}
	var data map[string]any
	if t := fs.eventTypes[ev.Type]; t != nil {
		data, _ = exprs.Convert(ev.Data, t.Fields["data"]).(map[string]any)
	} else {
		data, _ = exprs.Plain(ev.Data).(map[string]any)
	}
	if data == nil {
		data = map[string]any{}
	}
	return map[string]any{"id": ev.ID, "type": ev.Type, "source": ev.Source, "subject": ev.Subject, "time": ev.Time, "data": data}
}

// location is the customer's time zone, or the workspace's when theirs is missing or unknown.
func location(c *store.Customer, def *time.Location) *time.Location {
	if tz, _ := c.Attrs["timezone"].(string); tz != "" {
		if loc, err := loadLocation(tz); err == nil {
			return loc
		}
	}
	return def
}
