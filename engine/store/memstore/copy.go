package memstore

import (
	"container/heap"
	"maps"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// Records are copied in and out, so that a caller changing what it got never changes the store
// behind a transaction's back, as with a database. What the engine never changes once written —
// event data, a journey's trigger, a message's rendered content — is shared rather than copied:
// copying it on every load was most of a long simulation's time.

// Times are also cut to the microsecond and put in UTC on the way, as PostgreSQL keeps them (see
// package store), so that both stores give back the same records.

// ts is a time as a timestamptz column keeps it.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func cloneCustomer(c *store.Customer) *store.Customer {
	cc := *c
	cc.Attrs, _ = deepCopy(c.Attrs).(map[string]any)
	if cc.Attrs == nil {
		cc.Attrs = map[string]any{}
	}
	cc.Consent = cloneConsent(c.Consent)
	cc.Sends = append([]store.SendMark(nil), c.Sends...)
	for i := range cc.Sends {
		cc.Sends[i].At = cc.Sends[i].At.UTC()
	}
	cc.Dates = maps.Clone(c.Dates)
	for k, d := range cc.Dates {
		cc.Dates[k] = d.UTC()
	}
	cc.CreatedAt, cc.FirstOrderAt, cc.LastOrderAt, cc.NextWakeAt = ts(c.CreatedAt), ts(c.FirstOrderAt), ts(c.LastOrderAt), ts(c.NextWakeAt)
	return &cc
}

func cloneConsent(m map[string]store.Consent) map[string]store.Consent {
	if m == nil {
		return nil
	}
	out := make(map[string]store.Consent, len(m))
	for ch, c := range m {
		if c.Granted != nil {
			g := *c.Granted
			c.Granted = &g
		}
		c.At = ts(c.At)
		out[ch] = c
	}
	return out
}

func cloneJourney(j *store.Journey) *store.Journey {
	c := *j
	c.Outputs = maps.Clone(j.Outputs)
	c.WakeAt, c.EnteredAt, c.EndedAt, c.GoalUntil, c.ConvertedAt = ts(j.WakeAt), ts(j.EnteredAt), ts(j.EndedAt), ts(j.GoalUntil), ts(j.ConvertedAt)
	return &c
}

func cloneMessage(m *store.Message) *store.Message {
	c := *m
	c.SendAt, c.CreatedAt, c.LeaseUntil, c.SentAt = ts(m.SendAt), ts(m.CreatedAt), ts(m.LeaseUntil), ts(m.SentAt)
	return &c
}

func cloneEvent(e *store.StoredEvent) *store.StoredEvent {
	c := *e
	c.Time = ts(e.Time)
	return &c
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return map[string]any(nil)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

type wakeEntry struct {
	at time.Time
	id string
}

// wakeHeap orders customers by when they have due work; entries go stale when a customer's wake
// time moves and are dropped when they reach the top.
type wakeHeap []wakeEntry

func (h wakeHeap) Len() int { return len(h) }
func (h wakeHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].id < h[j].id
}
func (h wakeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *wakeHeap) Push(x any)   { *h = append(*h, x.(wakeEntry)) }
func (h *wakeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *wakeHeap) remove(e wakeEntry) {
	for i, x := range *h {
		if x == e {
			heap.Remove(h, i)
			return
		}
	}
}
