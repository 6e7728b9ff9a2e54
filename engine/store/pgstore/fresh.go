package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OpenFresh creates a schema of its own with a random name starting with prefix, migrates it and
// opens a store on it; drop closes the store and removes the schema with everything in it. Tests
// use it to run side by side on one database without seeing each other's rows.
func OpenFresh(ctx context.Context, url, prefix string, opts Options) (st *Store, drop func() error, err error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	opts.Schema = prefix + hex.EncodeToString(b[:])
	if !identifier.MatchString(opts.Schema) {
		return nil, nil, fmt.Errorf("schema prefix %q: use lowercase letters, digits and underscores", prefix)
	}
	pool, err := Connect(ctx, url, opts)
	if err != nil {
		return nil, nil, err
	}
	drop = func() error {
		pool.Close()
		return DropSchema(context.Background(), url, opts.Schema)
	}
	if _, err := Migrate(ctx, pool); err != nil {
		_ = drop()
		return nil, nil, err
	}
	return &Store{pool: pool, owned: true}, drop, nil
}

// DropSchema removes a schema and everything in it.
func DropSchema(ctx context.Context, url, schema string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("drop schema %s: %w", schema, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("drop schema %s: %w", schema, err)
	}
	return nil
}
