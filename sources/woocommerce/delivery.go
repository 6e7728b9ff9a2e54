package woocommerce

import (
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

// delivery is one received notice and what every converter needs to make events of it.
type delivery struct {
	topic      string
	source     string // woocommerce/<site>
	deliveryID string
	body       []byte
	now        time.Time
}

func (d *delivery) decode(v any, what string) error {
	if err := sources.DecodeJSON(d.body, v); err != nil {
		return sources.Unprocessable("the body does not have the shape of a WooCommerce %s (%v): check the webhook's topic and API version", what, err)
	}
	return nil
}

// id makes an event id from the facts that identify it, so that a redelivery gets the same id and
// is dropped.
func (d *delivery) id(parts ...string) string {
	return d.source + "/" + strings.Join(parts, "/")
}

// gmtLayout is how WooCommerce writes its *_gmt dates: UTC without a zone suffix. The dates
// without _gmt are in the site's time zone, which the payload does not name, so they are never read.
const gmtLayout = "2006-01-02T15:04:05"

func parseGMT(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(gmtLayout, s, time.UTC); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// time is the first of the resource's GMT dates that reads, else now.
func (d *delivery) time(stamps ...string) time.Time {
	for _, s := range stamps {
		if t, ok := parseGMT(s); ok {
			return t
		}
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
