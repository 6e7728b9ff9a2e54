package engine

import (
	"slices"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/policy"
	"github.com/afterglowhq/afterglow/engine/store"
)

// waiting returns the customer's marketing messages that wait to leave and were never tried: the
// stored ones, which the store keeps from dispatchers until the batch commits, and those this
// batch wrote.
func (b *batch) waiting(st *custState) []*store.Message {
	var out []*store.Message
	if b.changeErr == nil {
		ms, err := b.tx.WaitingMessages(b.ctx, st.c.ID, st.now)
		if err != nil {
			b.changeErr = err
		}
		out = ms
	}
	for _, m := range b.messages {
		if m.CustomerID == st.c.ID && m.Status == store.Pending && m.Category == "marketing" && m.Attempts == 0 && m.SendAt.After(st.now) {
			out = append(out, m)
		}
	}
	return out
}

// waitingInput describes waiting messages to the policy, each with its own flow's policies.
func waitingInput(fs *FlowSet, ms []*store.Message) []policy.Waiting {
	out := make([]policy.Waiting, len(ms))
	for i, m := range ms {
		f := fs.byVersion[m.FlowVersion]
		if f == nil {
			f = fs.byID[m.FlowID]
		}
		var own *dsl.Policies
		if f != nil {
			own = f.Policies
		}
		out[i] = policy.Waiting{ID: m.ID, Priority: m.Priority, Channel: m.Channel, Category: m.Category, SendAt: m.SendAt,
			Policies: fs.Settings.Policies.Merge(own)}
	}
	return out
}

// move gives the waiting messages whose place was taken their new moment, or skips them, in the
// batch's own messages and in the store, and moves their marks with them.
func (b *batch) move(st *custState, waiting []*store.Message, moves []policy.Move) {
	var stored []store.Move
	for _, mv := range moves {
		var m *store.Message
		for _, w := range waiting {
			if w.ID == mv.ID {
				m = w
			}
		}
		if m == nil {
			continue
		}
		releaseMark(st, m)
		status := store.Pending
		if mv.Skip {
			status = store.Skipped
		} else {
			st.c.Sends = append(st.c.Sends, store.SendMark{At: mv.SendAt, Channel: m.Channel, Category: m.Category, Priority: m.Priority})
			st.hold(m.JourneyID, mv.SendAt)
		}
		if slices.Contains(b.messages, m) { // written by this batch: not in the store yet
			m.Status, m.Reason = status, mv.Reason
			if !mv.Skip {
				m.SendAt = mv.SendAt
			}
			continue
		}
		stored = append(stored, store.Move{MessageID: m.ID, Status: status, SendAt: mv.SendAt, Reason: mv.Reason})
	}
	if len(stored) > 0 && b.changeErr == nil {
		b.changeErr = b.tx.MoveWaiting(b.ctx, st.c.ID, stored)
	}
	st.changed = true
}
