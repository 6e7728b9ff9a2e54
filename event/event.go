// Package event defines the canonical event envelope (CloudEvents 1.0 in JSON) that every source
// produces and the engine consumes.
package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// SpecVersion is the only CloudEvents version accepted.
const SpecVersion = "1.0"

// Event is one fact about one customer. Data keeps JSON numbers as json.Number so that money
// stays an exact decimal and ids larger than 2^53 survive.
type Event struct {
	SpecVersion     string         `json:"specversion"`
	ID              string         `json:"id"`
	Source          string         `json:"source"`
	Type            string         `json:"type"`
	Subject         string         `json:"subject"`
	Time            time.Time      `json:"time"`
	DataContentType string         `json:"datacontenttype,omitempty"`
	Data            map[string]any `json:"data,omitempty"`
}

// Canonical types, which the source adapters produce. Shops may send other types too; flows can react to any of them.
const (
	CustomerCreated = "customer.created"
	CustomerUpdated = "customer.updated"
	ConsentUpdated  = "consent.updated"
	OrderPlaced     = "order.placed"
	OrderFulfilled  = "order.fulfilled"
	OrderDelivered  = "order.delivered"
	OrderCancelled  = "order.cancelled"
	OrderRefunded   = "order.refunded"
	CheckoutStarted = "checkout.started"
	ReviewSubmitted = "review.submitted"
	SurveyAnswered  = "survey.answered"
)

// CanonicalTypes lists the canonical types, for suggestions and documentation.
var CanonicalTypes = []string{
	CustomerCreated, CustomerUpdated, ConsentUpdated, OrderPlaced, OrderFulfilled, OrderDelivered,
	OrderCancelled, OrderRefunded, CheckoutStarted, ReviewSubmitted, SurveyAnswered,
}

// TypePattern is what an event type looks like: dot-separated lowercase words.
var TypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// Problem is one thing wrong with an event, located by a JSON-pointer-like field path.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) Error() string { return p.Field + ": " + p.Message }

// Decode reads one event from JSON, keeping numbers exact.
func Decode(b []byte) (Event, error) {
	var e Event
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&e); err != nil {
		return e, fmt.Errorf("not a JSON CloudEvent: %w", err)
	}
	if d.More() {
		return e, fmt.Errorf("not a JSON CloudEvent: trailing data after the object")
	}
	return e, nil
}

// DecodeBatch reads a JSON array of events (application/cloudevents-batch+json).
func DecodeBatch(b []byte) ([]Event, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON array of CloudEvents: %w", err)
	}
	out := make([]Event, 0, len(raw))
	for i, r := range raw {
		e, err := Decode(r)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Validate reports every problem with the envelope, and values too long to store. The data is
// checked against the event's type by the event catalog (package event/catalog), which knows the
// workspace's own types too.
func (e *Event) Validate() []Problem {
	var ps []Problem
	add := func(f, m string, a ...any) { ps = append(ps, Problem{f, fmt.Sprintf(m, a...)}) }
	if e.SpecVersion != SpecVersion {
		add("specversion", "must be %q, got %q", SpecVersion, e.SpecVersion)
	}
	if e.ID == "" {
		add("id", "is required: a unique id per event, so that a redelivery is dropped")
	}
	if e.Source == "" {
		add("source", "is required (for example \"shop\" or \"shopify/my-shop\")")
	}
	if e.Type == "" {
		add("type", "is required (for example %q)", OrderPlaced)
	} else if !TypePattern.MatchString(e.Type) {
		add("type", "%q is not an event type: use dot-separated lowercase words like %q", e.Type, OrderPlaced)
	}
	if e.Subject == "" {
		add("subject", "is required: the customer id")
	}
	if e.Time.IsZero() {
		add("time", "is required: an RFC 3339 timestamp")
	}
	for _, f := range []struct{ field, v string }{{"id", e.ID}, {"source", e.Source}, {"subject", e.Subject}} {
		if strings.ContainsRune(f.v, 0) || !utf8.ValidString(f.v) {
			add(f.field, "holds a NUL character or invalid UTF-8, which no database column can keep")
		}
	}
	return append(ps, e.checkLimits()...)
}

// Describe names the JSON kind of a decoded value, for messages: "a string", "a number"...
func Describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64, int, int64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
