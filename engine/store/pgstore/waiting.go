package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// WaitingMessages reads the customer's rows of messages_held and locks them: a dispatcher claims
// with SKIP LOCKED, so a message this transaction may move is never leased under it, and the
// pending status read here holds until the transaction ends.
func (t *txn) WaitingMessages(ctx context.Context, customerID string, after time.Time) ([]*store.Message, error) {
	ms, err := collectMessages(t.tx.Query(ctx, `SELECT `+messageCols+` FROM messages
		WHERE customer_id = $1 AND status = 'pending' AND send_at > $2 AND attempts = 0 AND category = 'marketing'
		ORDER BY send_at, id FOR UPDATE`, customerID, after))
	if err != nil {
		return nil, fmt.Errorf("read waiting messages: %w", err)
	}
	return ms, nil
}

func (t *txn) MoveWaiting(ctx context.Context, customerID string, moves []store.Move) error {
	if len(moves) == 0 {
		return nil
	}
	delete(t.openAt, customerID) // its messages moved: a cancel asks the table again
	n := len(moves)
	ids, statuses, reasons := make([]string, n), make([]string, n), make([]string, n)
	at := make([]time.Time, n)
	for i, mv := range moves {
		ids[i], statuses[i], reasons[i], at[i] = mv.MessageID, mv.Status, mv.Reason, mv.SendAt
	}
	// A skipped message keeps the moment it was due to leave: that is when it would have.
	rows, err := t.tx.Query(ctx, `UPDATE messages m SET status = v.status, reason = v.reason,
			send_at = CASE WHEN v.status = 'pending' THEN v.send_at ELSE m.send_at END
		FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS v(id, status, reason, send_at)
		WHERE m.customer_id = $1 AND m.id = v.id AND m.status = 'pending'
		RETURNING m.id`, customerID, ids, statuses, reasons, at)
	if err != nil {
		return fmt.Errorf("move waiting messages: %w", err)
	}
	moved := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("move waiting messages: %w", err)
		}
		moved[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("move waiting messages: %w", err)
	}
	for _, id := range ids {
		if !moved[id] {
			return fmt.Errorf("move message %s: no pending message of customer %s has this id: it may have left", id, customerID)
		}
	}
	return nil
}
