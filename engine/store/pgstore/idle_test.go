package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/internal/pgtest"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestIdlePollsWriteNothing checks that the loops which poll for due work (timers, schedules,
// date refreshes, dispatch) commit without a transaction id when they find nothing to do: such a
// commit needs no WAL flush, so polling costs no disk writes.
func TestIdlePollsWriteNothing(t *testing.T) {
	ctx := context.Background()
	st := pgtest.Store(t, pgstore.Options{MaxConns: 2})
	now := time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)
	if err := st.InTx(ctx, func(tx store.Tx) error {
		s, err := tx.LockSchedule(ctx, "sale")
		if err != nil {
			return err
		}
		s.Spec, s.FireAt = "at x", now.Add(time.Hour)
		return tx.SaveSchedule(ctx, s)
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(ctx, func(tx store.Tx) error {
		s, err := tx.LockSchedule(ctx, "sale")
		if err != nil {
			return err
		}
		if err := tx.SaveSchedule(ctx, s); err != nil {
			return err
		}
		if _, err := tx.ClaimDue(ctx, now, 100); err != nil {
			return err
		}
		if _, err := tx.ClaimStaleDates(ctx, "", 100); err != nil {
			return err
		}
		if _, err := tx.ClaimMessages(ctx, now, now.Add(time.Minute), 100); err != nil {
			return err
		}
		var xid pgtype.Int8
		if err := pgstore.TxOf(tx).QueryRow(ctx, `SELECT txid_current_if_assigned()`).Scan(&xid); err != nil {
			return err
		}
		if xid.Valid {
			t.Errorf("an idle poll took transaction id %d: it writes, and its commit waits for the disk", xid.Int64)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
