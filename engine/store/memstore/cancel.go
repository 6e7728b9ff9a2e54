package memstore

import (
	"context"
	"slices"

	"github.com/afterglowhq/afterglow/engine/store"
)

func (t *tx) indexMessage(m *store.Message) {
	if t.s.msgByCust == nil {
		t.s.msgByCust = map[string][]string{}
	}
	// Appending in place is safe to undo: the old slice header does not see the new element.
	set(t, t.s.msgByCust, m.CustomerID, append(t.s.msgByCust[m.CustomerID], m.ID))
}

func (t *tx) CancelPending(ctx context.Context, c store.Cancel) ([]*store.Message, error) {
	var out []*store.Message
	for _, id := range t.s.msgByCust[c.CustomerID] {
		m := t.s.messages[id]
		if m.Status != store.Pending || !m.SendAt.After(c.After) {
			continue
		}
		if !slices.Contains(c.JourneyIDs, m.JourneyID) && !(m.Category == "marketing" && slices.Contains(c.Channels, m.Channel)) {
			continue
		}
		cm := cloneMessage(m)
		cm.Status, cm.Reason = store.Skipped, c.Reason
		set(t, t.s.messages, id, cm)
		out = append(out, cloneMessage(cm))
	}
	return out, nil
}
