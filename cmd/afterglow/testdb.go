package main

import (
	"context"
	"fmt"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/scenario"
)

// postgresTestStores returns stores on PostgreSQL, one schema per test: created and migrated
// when the test starts, dropped with everything in it when the test ends, so that tests run side
// by side on one database and leave nothing behind.
func postgresTestStores(url string) (scenario.NewStore, func(), error) {
	ctx := context.Background()
	pool, err := pgstore.Connect(ctx, url, pgstore.Options{MaxConns: 1})
	if err != nil {
		return nil, func() {}, fmt.Errorf("--db: %w", err)
	}
	pool.Close()
	newStore := func(ctx context.Context) (store.Store, func(), error) {
		st, drop, err := pgstore.OpenFresh(ctx, url, "afterglow_test_", pgstore.Options{MaxConns: 4})
		if err != nil {
			return nil, nil, fmt.Errorf("--db: %w", err)
		}
		return st, func() { _ = drop() }, nil
	}
	return newStore, func() {}, nil
}
