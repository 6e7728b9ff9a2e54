package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// WaitingMessages needs no lock of its own: a transaction holds the whole store.
func (t *tx) WaitingMessages(ctx context.Context, customerID string, after time.Time) ([]*store.Message, error) {
	after = ts(after)
	var out []*store.Message
	for _, id := range t.s.msgByCust[customerID] {
		m := t.s.messages[id]
		if m.Status == store.Pending && m.Attempts == 0 && m.Category == "marketing" && m.SendAt.After(after) {
			out = append(out, cloneMessage(m))
		}
	}
	sortMessages(out)
	return out, nil
}

func (t *tx) MoveWaiting(ctx context.Context, customerID string, moves []store.Move) error {
	for _, mv := range moves {
		m, ok := t.s.messages[mv.MessageID]
		if !ok || m.CustomerID != customerID {
			return fmt.Errorf("move message %s: no such message of customer %s", mv.MessageID, customerID)
		}
		if m.Status != store.Pending {
			return fmt.Errorf("move message %s: it is %s, no longer waiting", mv.MessageID, m.Status)
		}
		c := cloneMessage(m)
		c.Status, c.Reason = mv.Status, mv.Reason
		if mv.Status == store.Pending {
			c.SendAt = ts(mv.SendAt)
		}
		set(t, t.s.messages, c.ID, c)
	}
	return nil
}
