package policy

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store"
)

// Waiting is a marketing message in the outbox that has not left and was never tried: one of
// higher priority may take its place.
type Waiting struct {
	ID       string
	Priority int
	Channel  string
	Category string
	SendAt   time.Time
	Policies *dsl.Policies // those of its own flow, merged with the settings
}

// Move is what becomes of a waiting message whose place was taken: it leaves at SendAt, or it
// is skipped.
type Move struct {
	ID     string
	Skip   bool
	SendAt time.Time
	Reason string
}

// preempt decides a message that a frequency limit holds back (d) again without the waiting
// messages of lower priority that its limits count. If it then leaves sooner, or at all, it takes
// that place, and the lower ones are placed again after it, the higher first, each no earlier than
// it was to leave and in the order they were to leave: so equal priorities keep their order, and
// the moment a message was given only ever moves later.
func preempt(in Input, p *dsl.Policies, d Decision) Decision {
	var lower []Waiting
	for _, w := range in.Waiting {
		if w.Priority < in.Priority && w.SendAt.After(in.Now) && counts(p, in.Channel, in.Category, w) {
			lower = append(lower, w)
		}
	}
	if len(lower) == 0 {
		return d
	}
	rest := withoutMarks(in.Sends, lower)
	took := schedule(in.Now, in.Channel, in.Category, in.Location, rest, p)
	if took.Skip || !d.Skip && !took.SendAt.Before(d.SendAt) {
		return d
	}
	marks := append(rest, store.SendMark{At: took.SendAt, Channel: in.Channel, Category: in.Category, Priority: in.Priority})
	sort.SliceStable(lower, func(i, j int) bool {
		a, b := lower[i], lower[j]
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		if !a.SendAt.Equal(b.SendAt) {
			return a.SendAt.Before(b.SendAt)
		}
		return a.ID < b.ID
	})
	for _, w := range lower {
		wp := w.Policies
		if wp == nil {
			wp = p
		}
		again := schedule(w.SendAt, w.Channel, w.Category, in.Location, marks, wp)
		switch {
		case again.Skip:
			took.Moves = append(took.Moves, Move{ID: w.ID, Skip: true, Reason: ReasonFrequency})
		case again.SendAt.Equal(w.SendAt):
			marks = append(marks, store.SendMark{At: w.SendAt, Channel: w.Channel, Category: w.Category, Priority: w.Priority})
		default:
			marks = append(marks, store.SendMark{At: again.SendAt, Channel: w.Channel, Category: w.Category, Priority: w.Priority})
			took.Moves = append(took.Moves, Move{ID: w.ID, SendAt: again.SendAt, Reason: again.Reason})
		}
	}
	return took
}

// MayTakePlace reports whether a message that d holds back or skips for a frequency limit could
// take the place of a waiting one: the customer's marks show one of lower priority still to
// leave. The outbox is read only then.
func MayTakePlace(in Input, d Decision) bool {
	if in.Category == "transactional" || !heldBy(d, ReasonFrequency) {
		return false
	}
	for _, s := range in.Sends {
		if s.Priority < in.Priority && s.At.After(in.Now) {
			return true
		}
	}
	return false
}

// heldBy reports whether the reason r skipped or held back the decision.
func heldBy(d Decision, r string) bool {
	return slices.Contains(strings.Split(d.Reason, ", "), r)
}

// counts reports whether a limit of the message (channel, category) counts the waiting one.
func counts(p *dsl.Policies, channel, category string, w Waiting) bool {
	for _, lim := range p.Frequency {
		if applies(lim.Categories, category) && applies(lim.Channels, channel) &&
			applies(lim.Categories, w.Category) && applies(lim.Channels, w.Channel) {
			return true
		}
	}
	return false
}

// withoutMarks returns a copy of sends less one mark for each of the waiting messages.
func withoutMarks(sends []store.SendMark, ws []Waiting) []store.SendMark {
	out := append([]store.SendMark(nil), sends...)
	for _, w := range ws {
		for i, s := range out {
			if s.At.Equal(w.SendAt) && s.Channel == w.Channel && s.Category == w.Category {
				out = append(out[:i], out[i+1:]...)
				break
			}
		}
	}
	return out
}
