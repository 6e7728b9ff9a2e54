package policy

import (
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store"
)

// onePerMonth is {max: 1, per: 30d} for marketing, with over.
func onePerMonth(over string) *dsl.Policies {
	return &dsl.Policies{Frequency: []dsl.FrequencyLimit{{Max: 1, Per: 30 * day, Categories: []string{"marketing"}}}, OverLimit: over}
}

// outbox is a customer's messages as the engine sees them: every mark, and those waiting.
type outbox struct {
	sends   []store.SendMark
	waiting []Waiting
}

// write decides a message of a flow with the given priority at now, and applies the decision
// to the outbox as the engine does.
func (o *outbox) write(t *testing.T, id string, now time.Time, priority int, p *dsl.Policies) Decision {
	t.Helper()
	i := Input{Now: now, Channel: "email", Shape: "email", Category: "marketing", HasAddress: true,
		Consent: map[string]any{"email": true}, Location: lima, Sends: o.sends, Policies: p, Priority: priority, Waiting: o.waiting}
	d := Decide(i)
	for _, mv := range d.Moves {
		for k, w := range o.waiting {
			if w.ID != mv.ID {
				continue
			}
			for n, s := range o.sends {
				if s.At.Equal(w.SendAt) {
					o.sends = append(o.sends[:n], o.sends[n+1:]...)
					break
				}
			}
			if mv.Skip {
				o.waiting = append(o.waiting[:k], o.waiting[k+1:]...)
				break
			}
			o.waiting[k].SendAt = mv.SendAt
			o.sends = append(o.sends, store.SendMark{At: mv.SendAt, Channel: "email", Category: "marketing", Priority: w.Priority})
			break
		}
	}
	if !d.Skip {
		o.sends = append(o.sends, store.SendMark{At: d.SendAt, Channel: "email", Category: "marketing", Priority: priority})
		if d.SendAt.After(now) {
			o.waiting = append(o.waiting, Waiting{ID: id, Priority: priority, Channel: "email", Category: "marketing", SendAt: d.SendAt, Policies: p})
		}
	}
	return d
}

func (o *outbox) at(id string) time.Time {
	for _, w := range o.waiting {
		if w.ID == id {
			return w.SendAt
		}
	}
	return time.Time{}
}

const (
	high   = int(dsl.PriorityHigh)
	normal = int(dsl.PriorityNormal)
	low    = int(dsl.PriorityLow)
)

// {max: 1, per: 30d}, defer: a normal flow sends at day 0; a low flow's message written at day 1
// waits for day 30; a high flow's message written at day 2 takes day 30, and the low one leaves
// at day 60.
func TestHigherPriorityTakesTheWaitingPlace(t *testing.T) {
	var o outbox
	p := onePerMonth("defer")
	if d := o.write(t, "normal", t0, normal, p); d.Skip || !d.SendAt.Equal(t0) {
		t.Fatalf("normal at day 0: %+v", d)
	}
	if d := o.write(t, "low", t0.Add(day), low, p); !d.SendAt.Equal(t0.Add(30 * day)) {
		t.Fatalf("low written at day 1: %+v, want day 30", d)
	}
	d := o.write(t, "high", t0.Add(2*day), high, p)
	if d.Skip || !d.SendAt.Equal(t0.Add(30*day)) || d.Reason != ReasonFrequency {
		t.Errorf("high written at day 2: %+v, want day 30 held by frequency", d)
	}
	if len(d.Moves) != 1 || d.Moves[0] != (Move{ID: "low", SendAt: t0.Add(60 * day), Reason: ReasonFrequency}) {
		t.Errorf("moves %+v, want the low one to day 60", d.Moves)
	}
}

// Without the waiting messages (already sent, or leased), nothing is taken back: the high one
// waits for the limit like any other.
func TestNothingIsTakenBackWithoutWaitingMessages(t *testing.T) {
	p := onePerMonth("defer")
	i := in(t0.Add(2*day), "email", t0, t0.Add(30*day))
	i.Policies, i.Priority = p, high
	d := Decide(i)
	if !d.SendAt.Equal(t0.Add(60*day)) || len(d.Moves) != 0 {
		t.Errorf("%+v, want day 60 and no move", d)
	}
}

func TestEqualPrioritiesKeepTheirOrder(t *testing.T) {
	var o outbox
	p := onePerMonth("defer")
	o.write(t, "first", t0, normal, p)
	o.write(t, "second", t0.Add(day), normal, p)
	d := o.write(t, "third", t0.Add(2*day), normal, p)
	if !d.SendAt.Equal(t0.Add(60*day)) || len(d.Moves) != 0 || !o.at("second").Equal(t0.Add(30*day)) {
		t.Errorf("third %+v, second at %v: an equal priority waits its turn", d, o.at("second"))
	}
}

// Two low messages wait; a high one takes the first place, and the two low ones leave after it in
// the order they had.
func TestDisplacedMessagesKeepTheirOrder(t *testing.T) {
	var o outbox
	p := onePerMonth("defer")
	o.write(t, "sent", t0, normal, p)
	o.write(t, "low-1", t0.Add(day), low, p)
	o.write(t, "low-2", t0.Add(2*day), low, p)
	if !o.at("low-1").Equal(t0.Add(30*day)) || !o.at("low-2").Equal(t0.Add(60*day)) {
		t.Fatalf("low ones at %v and %v", o.at("low-1"), o.at("low-2"))
	}
	d := o.write(t, "high", t0.Add(3*day), high, p)
	if !d.SendAt.Equal(t0.Add(30 * day)) {
		t.Errorf("high at %v, want day 30", d.SendAt)
	}
	if !o.at("low-1").Equal(t0.Add(60*day)) || !o.at("low-2").Equal(t0.Add(90*day)) {
		t.Errorf("low ones at %v and %v, want days 60 and 90", o.at("low-1"), o.at("low-2"))
	}
	// A normal one now takes day 60 from low-1; the low ones move again, still in order.
	d = o.write(t, "normal", t0.Add(4*day), normal, p)
	if !d.SendAt.Equal(t0.Add(60*day)) || !o.at("low-1").Equal(t0.Add(90*day)) || !o.at("low-2").Equal(t0.Add(120*day)) {
		t.Errorf("normal at %v, low ones at %v and %v", d.SendAt, o.at("low-1"), o.at("low-2"))
	}
	if !o.at("high").Equal(t0.Add(30 * day)) {
		t.Errorf("the high one moved to %v: a higher priority is never displaced", o.at("high"))
	}
}

// Under over_limit: skip, a message that would be skipped takes a waiting lower one's place if
// that lets it leave, and the displaced one is skipped if its own flow skips over the limit.
func TestSkipPolicies(t *testing.T) {
	var o outbox
	skip, deferred := onePerMonth("skip"), onePerMonth("defer")
	// A low message is to leave in an hour (say, held by quiet hours): a high one now would put
	// that hour over the limit, so alone it would be skipped; it takes the place instead.
	o.sends = []store.SendMark{{At: t0.Add(time.Hour), Channel: "email", Category: "marketing", Priority: low}}
	o.waiting = []Waiting{{ID: "low-skip", Priority: low, Channel: "email", Category: "marketing", SendAt: t0.Add(time.Hour), Policies: skip}}
	d := o.write(t, "high", t0, high, skip)
	if d.Skip || !d.SendAt.Equal(t0) {
		t.Errorf("high: %+v, want it to leave now", d)
	}
	if len(d.Moves) != 1 || !d.Moves[0].Skip || d.Moves[0].Reason != ReasonFrequency {
		t.Errorf("moves %+v, want the low one skipped for frequency", d.Moves)
	}
	// An equal priority finds no place to take and is skipped.
	if d := o.write(t, "another", t0.Add(time.Minute), high, skip); !d.Skip || len(d.Moves) != 0 {
		t.Errorf("another high one: %+v, want skipped", d)
	}
	// A message that waits (defer) but gains nothing from a lower one's place takes nothing.
	var o2 outbox
	o2.write(t, "sent", t0, normal, deferred)
	o2.write(t, "low", t0.Add(31*day), low, deferred) // leaves at once: the month is over
	if d := o2.write(t, "high", t0.Add(32*day), high, deferred); !d.SendAt.Equal(t0.Add(61*day)) || len(d.Moves) != 0 {
		t.Errorf("high after a low one that left: %+v, want day 61 and no move", d)
	}
}

// A waiting message that the message's limits do not count is not moved: taking its place gains
// nothing.
func TestOnlyMessagesTheLimitCountsMove(t *testing.T) {
	perChannel := &dsl.Policies{Frequency: []dsl.FrequencyLimit{{Max: 1, Per: 30 * day, Channels: []string{"email"}}}, OverLimit: "defer"}
	i := in(t0.Add(2*day), "email", t0)
	i.Policies, i.Priority = perChannel, high
	i.Sends = append(i.Sends, store.SendMark{At: t0.Add(5 * day), Channel: "sms", Category: "marketing", Priority: low})
	i.Waiting = []Waiting{{ID: "sms", Priority: low, Channel: "sms", Category: "marketing", SendAt: t0.Add(5 * day), Policies: perChannel}}
	if d := Decide(i); !d.SendAt.Equal(t0.Add(30*day)) || len(d.Moves) != 0 {
		t.Errorf("%+v, want day 30 and the SMS left alone", d)
	}
}
