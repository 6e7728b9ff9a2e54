package event

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A value longer than what the store can index is a problem that names the field and the limit.
func TestValidateRefusesValuesTooLongToStore(t *testing.T) {
	now := time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)
	base := func() Event {
		return Event{SpecVersion: "1.0", ID: "e1", Source: "shop", Type: OrderPlaced, Subject: "c1", Time: now,
			Data: map[string]any{"order_id": "1001", "total": json.Number("5"), "currency": "USD"}}
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, c := range []struct {
		field string
		limit int
		set   func(e *Event)
	}{
		{"id", MaxIDBytes, func(e *Event) { e.ID = long(3000) }},
		{"source", MaxIDBytes, func(e *Event) { e.Source = long(513) }},
		{"subject", MaxSubjectBytes, func(e *Event) { e.Subject = long(257) }},
		{"type", MaxTypeBytes, func(e *Event) { e.Type = "order." + long(130) }},
		{"data.order_id", MaxDataIDBytes, func(e *Event) { e.Data["order_id"] = long(2800) }},
		{"data.order_id", MaxDataIDBytes, func(e *Event) { e.Data["order_id"] = json.Number(strings.Repeat("9", 300)) }},
		{"data.checkout_id", MaxDataIDBytes, func(e *Event) { e.Type = CheckoutStarted; e.Data["checkout_id"] = long(300) }},
	} {
		e := base()
		c.set(&e)
		var found bool
		for _, p := range e.Validate() {
			if p.Field == c.field && strings.Contains(p.Message, "the limit is "+strconv.Itoa(c.limit)+" bytes") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s over %d bytes: problems %v; want one naming the field and the limit", c.field, c.limit, e.Validate())
		}
		if ps := e.Admissible(now); len(ps) != 1 || ps[0].Field != c.field {
			t.Errorf("%s over its limit: Admissible gives %v; want that one problem", c.field, ps)
		}
	}
	ok := base()
	ok.ID, ok.Subject = long(MaxIDBytes), long(MaxSubjectBytes)
	if ps := ok.Validate(); len(ps) != 0 {
		t.Errorf("values at their limits: %v; want none", ps)
	}
}

func TestCheckTime(t *testing.T) {
	now := time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(-400 * 24 * time.Hour), ""},
		{now.Add(MaxAhead), ""},
		{now.Add(MaxAhead + time.Second), "ahead of the engine's clock"},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "ahead of the engine's clock"},
		{time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), "before 1970"},
		{Earliest, ""},
	} {
		e := Event{Time: c.at}
		ps := e.CheckTime(now)
		switch {
		case c.want == "" && len(ps) != 0:
			t.Errorf("%s: %v; want no problem", c.at, ps)
		case c.want != "" && (len(ps) != 1 || ps[0].Field != "time" || !strings.Contains(ps[0].Message, c.want)):
			t.Errorf("%s: %v; want a problem with time saying %q", c.at, ps, c.want)
		}
	}
}
