// Package policy decides, when a message is written, whether it may leave and when: consent,
// frequency limits and quiet hours. It is a pure function of its input, so the moment a
// message will leave is known and visible as soon as it is in the outbox.
package policy

import (
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/message"
)

// Skip and deferral reasons recorded on messages.
const (
	ReasonHoldout    = "holdout"
	ReasonNoAddress  = "no_address"
	ReasonConsent    = "consent"
	ReasonFrequency  = "frequency"
	ReasonQuietHours = "quiet_hours"
)

// Input is everything the decision looks at.
type Input struct {
	Now        time.Time
	Channel    string
	Shape      message.Shape
	Category   string // transactional | marketing
	Holdout    bool
	HasAddress bool
	Consent    map[string]any // the customer's consent by channel: true, false or nil
	Location   *time.Location // the customer's time zone
	Sends      []store.SendMark
	Policies   *dsl.Policies
	// Priority is the message's flow's (0 normal, more goes first). Waiting lists the customer's
	// marketing messages in the outbox that have not left and were never tried, with their marks
	// among Sends: over a limit, the message takes the place of those of lower priority. Without
	// Waiting nothing is taken.
	Priority int
	Waiting  []Waiting
}

// Decision is the outcome: skipped with a reason, or pending until SendAt (Reason says what held
// it, if anything did: "frequency", "quiet_hours", or both in the order they applied).
type Decision struct {
	Skip   bool
	Reason string
	SendAt time.Time
	// Moves are the waiting messages of lower priority whose place the message took: each moves
	// to the next moment the limits allow it, or is skipped.
	Moves []Move
}

// ConsentKey is the consent a shape needs for marketing. A webhook reaches the shop's own systems,
// not the customer, so it needs none.
func ConsentKey(s message.Shape) string {
	switch s {
	case message.Email, message.SMS, message.WhatsApp, message.Push:
		return string(s)
	}
	return ""
}

// Decide applies the holdout, the address, consent, frequency limits and quiet hours.
func Decide(in Input) Decision {
	if in.Holdout {
		return Decision{Skip: true, Reason: ReasonHoldout}
	}
	if !in.HasAddress {
		return Decision{Skip: true, Reason: ReasonNoAddress}
	}
	if in.Category == "transactional" {
		return Decision{SendAt: in.Now}
	}
	if k := ConsentKey(in.Shape); k != "" {
		if granted, _ := in.Consent[k].(bool); !granted {
			return Decision{Skip: true, Reason: ReasonConsent} // unknown consent is no
		}
	}
	p := in.Policies
	if p == nil {
		p = &dsl.Policies{}
	}
	d := schedule(in.Now, in.Channel, in.Category, in.Location, in.Sends, p)
	if !heldBy(d, ReasonFrequency) || len(in.Waiting) == 0 {
		return d
	}
	return preempt(in, p, d)
}

// schedule finds when a marketing message may leave under the frequency limits and quiet hours,
// or that it is skipped.
func schedule(now time.Time, channel, category string, loc *time.Location, sends []store.SendMark, p *dsl.Policies) Decision {
	t := now
	var reasons []string
	held := func(r string) {
		for _, x := range reasons {
			if x == r {
				return
			}
		}
		reasons = append(reasons, r)
	}
	// Each rule may push the moment later; repeat until none does. Every push moves t forward to
	// a moment some rule computed, so this ends; the bound only guards against a bug.
	for range 64 {
		moved := false
		for _, lim := range p.Frequency {
			if !applies(lim.Categories, category) || !applies(lim.Channels, channel) {
				continue
			}
			next, over := frequency(lim, sends, channel, t)
			if !over {
				continue
			}
			if p.OverLimit == "skip" {
				return Decision{Skip: true, Reason: ReasonFrequency}
			}
			t, moved = next, true
			held(ReasonFrequency)
		}
		if q := p.QuietHours; q != nil && applies(q.Channels, channel) {
			if end, quiet := quietEnd(q, t, loc); quiet {
				t, moved = end, true
				held(ReasonQuietHours)
			}
		}
		if !moved {
			break
		}
	}
	return Decision{SendAt: t, Reason: strings.Join(reasons, ", ")}
}

func applies(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// frequency finds the first moment at or after t when one more message keeps every window of
// Per within the limit. Messages already scheduled to leave later count too: a message that
// leaves before them must not put their windows over the limit (a push held overnight by quiet
// hours still counts against an email decided that evening). It reports whether t had to move.
func frequency(lim dsl.FrequencyLimit, sends []store.SendMark, channel string, t time.Time) (time.Time, bool) {
	var marks []time.Time
	for _, s := range sends {
		if applies(lim.Categories, s.Category) && (len(lim.Channels) == 0 || applies(lim.Channels, s.Channel)) {
			marks = append(marks, s.At)
		}
	}
	sort.Slice(marks, func(i, j int) bool { return marks[i].Before(marks[j]) })
	count := func(end time.Time) int { // marks in (end-Per, end]
		n := 0
		for _, m := range marks {
			if m.After(end.Add(-lim.Per)) && !m.After(end) {
				n++
			}
		}
		return n
	}
	fits := func(c time.Time) bool {
		if count(c) >= lim.Max {
			return false
		}
		for _, u := range marks {
			if u.After(c) && u.Before(c.Add(lim.Per)) && count(u) >= lim.Max {
				return false
			}
		}
		return true
	}
	if fits(t) {
		return t, false
	}
	// The count only drops when a message leaves a window, Per after it left: those moments are the
	// only candidates, and the last one always fits.
	for _, m := range marks {
		if c := m.Add(lim.Per); c.After(t) && fits(c) {
			return c, true
		}
	}
	return marks[len(marks)-1].Add(lim.Per), true
}

// quietEnd reports whether t falls in the quiet window in loc, and when that window ends.
func quietEnd(q *dsl.QuietHours, t time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	from, to := q.From.Minutes(), q.To.Minutes()
	var quiet, endsTomorrow bool
	if from < to { // e.g. 13:00-15:00
		quiet = m >= from && m < to
	} else { // overnight, e.g. 21:00-09:00
		quiet = m >= from || m < to
		endsTomorrow = m >= from
	}
	if !quiet {
		return t, false
	}
	end := q.To.On(lt, loc)
	if endsTomorrow {
		y, mo, d := lt.Date()
		end = time.Date(y, mo, d+1, q.To.Hour, q.To.Minute, 0, 0, loc)
	}
	return end, true
}

// Explain says in words why a message on a channel was skipped or held, from its recorded
// reason; reasons that are not the policies' own (a failure's) come back as they are.
func Explain(reason, channel string) string {
	var parts []string
	for _, r := range strings.Split(reason, ", ") {
		switch r {
		case ReasonHoldout:
			r = "the customer is in the flow's holdout: the journey is tracked and sends nothing"
		case ReasonNoAddress:
			r = "the customer has no address on " + channel
		case ReasonConsent:
			r = "marketing on " + channel + " needs the customer's consent, which they did not give (or withdrew)"
		case ReasonFrequency:
			r = "a frequency limit (policies.frequency) was full"
		case ReasonQuietHours:
			r = "quiet hours (policies.quiet_hours) in the customer's time zone"
		}
		parts = append(parts, r)
	}
	return strings.Join(parts, "; ")
}
