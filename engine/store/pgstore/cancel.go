package pgstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// CancelPending skips a customer's messages that have not left. It touches one customer's rows,
// which the transaction holds the customer lock for, so it cannot race the engine; a row a
// dispatcher has leased is `sending` and left alone.
func (t *txn) CancelPending(ctx context.Context, c store.Cancel) ([]*store.Message, error) {
	if len(c.JourneyIDs) == 0 && len(c.Channels) == 0 {
		return nil, nil
	}
	if may, err := t.mayHold(ctx, c); err != nil || !may {
		return nil, err
	}
	journeys, channels := c.JourneyIDs, c.Channels
	if journeys == nil {
		journeys = []string{}
	}
	if channels == nil {
		channels = []string{}
	}
	ms, err := collectMessages(t.tx.Query(ctx, `
		UPDATE messages SET status = 'skipped', reason = $4
		WHERE customer_id = $1 AND status = 'pending' AND send_at > $5
		  AND (journey_id = ANY($2) OR (category = 'marketing' AND channel = ANY($3)))
		RETURNING `+messageCols, c.CustomerID, journeys, channels, c.Reason, c.After))
	if err != nil {
		return nil, fmt.Errorf("cancel pending messages: %w", err)
	}
	return ms, nil
}

// Most journeys that end have nothing waiting in the outbox, and an event ends many: one
// statement per ended journey was the largest share of a busy shop's transaction. So the first
// cancel of a transaction reads, in one statement, which messages of the customers whose open
// journeys it read are still to leave, and a cancel that selects none of them, nor any message
// the transaction wrote since, asks nothing more. A message a dispatcher holds (`sending`) is
// left alone by a cancel either way.

// heldMessage is what a cancel selects a waiting message by.
type heldMessage struct{ journeyID, channel, category string }

// noteOpen records that the open journeys of ids were read at now.
func (t *txn) noteOpen(ids []string, now time.Time) {
	if t.openAt == nil {
		t.openAt = make(map[string]time.Time, len(ids))
	}
	for _, id := range ids {
		if at, ok := t.openAt[id]; !ok || now.Before(at) {
			t.openAt[id] = now
			t.held = nil // read again, for this customer too, at the next cancel
		}
	}
}

// noteHeld records a message this transaction wrote.
func (t *txn) noteHeld(m *store.Message) {
	if t.held != nil && m.Status == store.Pending {
		t.held[m.CustomerID] = append(t.held[m.CustomerID], heldMessage{m.JourneyID, m.Channel, m.Category})
	}
}

// mayHold says whether the customer may have a message that c selects: false only when it is
// known to have none.
func (t *txn) mayHold(ctx context.Context, c store.Cancel) (bool, error) {
	at, ok := t.openAt[c.CustomerID]
	if !ok || c.After.Before(at) {
		return true, nil
	}
	if t.held == nil {
		ids := make([]string, 0, len(t.openAt))
		var since time.Time
		for id, at := range t.openAt {
			ids = append(ids, id)
			if since.IsZero() || at.Before(since) {
				since = at
			}
		}
		rows, err := t.tx.Query(ctx, `SELECT customer_id, journey_id, channel, category FROM messages
			WHERE customer_id = ANY($1::text[]) AND status = 'pending' AND send_at > $2`, ids, since)
		if err != nil {
			return false, fmt.Errorf("read waiting messages: %w", err)
		}
		held := map[string][]heldMessage{}
		for rows.Next() {
			var id string
			var h heldMessage
			if err := rows.Scan(&id, &h.journeyID, &h.channel, &h.category); err != nil {
				rows.Close()
				return false, fmt.Errorf("read waiting messages: %w", err)
			}
			held[id] = append(held[id], h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return false, fmt.Errorf("read waiting messages: %w", err)
		}
		t.held = held
	}
	for _, h := range t.held[c.CustomerID] {
		if slices.Contains(c.JourneyIDs, h.journeyID) || h.category == "marketing" && slices.Contains(c.Channels, h.channel) {
			return true, nil
		}
	}
	return false, nil
}
