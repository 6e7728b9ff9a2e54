package engine

import (
	"slices"

	"github.com/afterglowhq/afterglow/engine/policy"
	"github.com/afterglowhq/afterglow/engine/store"
)

// Reasons a message that was waiting to leave is skipped after all.
const (
	reasonExited  = "exited"
	reasonConsent = policy.ReasonConsent
)

// cancelJourney stops what an abandoned journey still has waiting in the outbox.
func (b *batch) cancelJourney(st *custState, journeyID string) {
	b.cancel(st, store.Cancel{CustomerID: st.c.ID, JourneyIDs: []string{journeyID}, After: st.now, Reason: reasonExited})
}

// withdrawn cancels the marketing messages waiting on the channels whose consent the event
// withdrew. Unsubscribing must mean what it says, even for a message already decided.
func (b *batch) withdrawn(st *custState, before map[string]any) {
	after := consentValues(st.c)
	var channels []string
	for key, v := range after {
		if g, ok := v.(bool); !ok || g {
			continue
		}
		if was, ok := before[key].(bool); ok && !was {
			continue // already withdrawn: nothing can be waiting
		}
		for _, name := range b.fs.Settings.ChannelNames() {
			if policy.ConsentKey(b.fs.Settings.Channels[name].Shape) == key {
				channels = append(channels, name)
			}
		}
	}
	if len(channels) > 0 {
		b.cancel(st, store.Cancel{CustomerID: st.c.ID, Channels: channels, After: st.now, Reason: reasonConsent})
	}
}

// cancel applies at once, to the messages this batch wrote and to the stored ones, so that a
// message written later in the batch finds the places the cancelled ones gave back.
func (b *batch) cancel(st *custState, c store.Cancel) {
	for _, m := range b.messages {
		if m.CustomerID == c.CustomerID && m.Status == store.Pending && selects(c, m) {
			m.Status, m.Reason = store.Skipped, c.Reason
			releaseMark(st, m)
		}
	}
	if b.changeErr != nil {
		return
	}
	ms, err := b.tx.CancelPending(b.ctx, c)
	if err != nil {
		b.changeErr = err
		return
	}
	for _, m := range ms {
		releaseMark(st, m)
	}
}

func selects(c store.Cancel, m *store.Message) bool {
	if !m.SendAt.After(c.After) {
		return false
	}
	return slices.Contains(c.JourneyIDs, m.JourneyID) || m.Category == "marketing" && slices.Contains(c.Channels, m.Channel)
}

// releaseMark forgets a skipped message in the customer's frequency count.
func releaseMark(st *custState, m *store.Message) {
	if st == nil {
		return
	}
	for i, s := range st.c.Sends {
		if s.At.Equal(m.SendAt) && s.Channel == m.Channel && s.Category == m.Category {
			st.c.Sends = append(st.c.Sends[:i], st.c.Sends[i+1:]...)
			st.changed = true
			return
		}
	}
}
