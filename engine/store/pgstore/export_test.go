package pgstore

import (
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/jackc/pgx/v5"
)

// TxOf gives the package's tests the PostgreSQL transaction behind a store transaction.
func TxOf(tx store.Tx) pgx.Tx { return tx.(*txn).tx }
