package pgstore

import (
	"context"
	"fmt"

	"github.com/afterglowhq/afterglow/engine/store"
)

// CancelPending skips a customer's messages that have not left. It touches one customer's rows,
// which the transaction holds the customer lock for, so it cannot race the engine; a row a
// dispatcher has leased is `sending` and left alone.
func (t *txn) CancelPending(ctx context.Context, c store.Cancel) ([]*store.Message, error) {
	if len(c.JourneyIDs) == 0 && len(c.Channels) == 0 {
		return nil, nil
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
