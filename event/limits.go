package event

import (
	"fmt"
	"time"
)

// Limits on what an event may carry. The store indexes ids and keys, and an index entry has a
// bound (about 2.7 KB in PostgreSQL): a longer value would fail the whole batch on every retry.
// They are far above what any shop sends, and refused with a clear answer, never retried.
const (
	MaxIDBytes      = 512 // id, source
	MaxSubjectBytes = 256 // the customer id: an email is at most 254
	MaxTypeBytes    = 128
	MaxDataIDBytes  = 256 // data.order_id, checkout_id, fulfillment_id, refund_id
)

// MaxAhead is how far ahead of the engine's clock an event's time may be: senders' clocks drift a
// little, but an event from the future has not happened.
const MaxAhead = 5 * time.Minute

// Earliest is the earliest time an event may have: before it a time is a placeholder or a mistake
// (year 0001 is the zero of many languages' dates), not a moment a shop lived through.
var Earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// dataIDs are the data fields that name a record and are looked up or indexed by the store.
var dataIDs = []string{"order_id", "checkout_id", "fulfillment_id", "refund_id"}

// checkLimits reports every value too long to store.
func (e *Event) checkLimits() []Problem {
	var ps []Problem
	tooLong := func(field string, n, limit int, what string) {
		if n > limit {
			ps = append(ps, Problem{field, fmt.Sprintf("is %d bytes long; the limit is %d bytes: %s", n, limit, what)})
		}
	}
	tooLong("id", len(e.ID), MaxIDBytes, "use a shorter id (a hash of a long one keeps it unique)")
	tooLong("source", len(e.Source), MaxIDBytes, "name the sender in a few words")
	tooLong("subject", len(e.Subject), MaxSubjectBytes, "the customer id must be short enough to index")
	tooLong("type", len(e.Type), MaxTypeBytes, "name the type in a few words")
	for _, k := range dataIDs {
		if v, ok := e.Data[k]; ok {
			if s := idText(v); s != "" {
				tooLong("data."+k, len(s), MaxDataIDBytes, "ids must be short enough to index")
			}
		}
	}
	return ps
}

func idText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case interface{ String() string }:
		return x.String()
	}
	return ""
}

// CheckTime reports a time the event cannot have when it arrives at now: more than MaxAhead in the
// future, or before Earliest. An old time is not a problem: such an event is late.
func (e *Event) CheckTime(now time.Time) []Problem {
	switch {
	case e.Time.IsZero():
		return nil // Validate says it is required
	case e.Time.Before(Earliest):
		return []Problem{{"time", fmt.Sprintf("%s is before %s: not a moment a shop lived through; send the time the fact happened (RFC 3339)",
			e.Time.Format(time.RFC3339), Earliest.Format("2006-01-02"))}}
	case e.Time.Sub(now) > MaxAhead:
		return []Problem{{"time", fmt.Sprintf("%s is %s ahead of the engine's clock (%s); at most %s ahead is accepted: check the sender's clock and time zone",
			e.Time.Format(time.RFC3339), e.Time.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), MaxAhead)}}
	}
	return nil
}

// Admissible reports what makes the event impossible to store at now, whatever its type: a value
// too long to index, or a time it cannot have.
func (e *Event) Admissible(now time.Time) []Problem {
	return append(e.checkLimits(), e.CheckTime(now)...)
}

// Refused is the error for a batch that holds events no retry can store; Index says which.
type Refused struct {
	Problems []Indexed
}

// Indexed is a problem of the event at Index in its batch; -1 when no one event can be named.
type Indexed struct {
	Index int
	Problem
}

func (r *Refused) Error() string {
	if len(r.Problems) == 0 {
		return "events refused"
	}
	p := r.Problems[0]
	msg := p.Message
	if p.Field != "" {
		msg = p.Field + ": " + msg
	}
	if p.Index >= 0 {
		msg = fmt.Sprintf("event %d: %s", p.Index, msg)
	}
	if n := len(r.Problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}
