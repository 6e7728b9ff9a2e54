// Package pgtest gives tests the PostgreSQL they run on: AFTERGLOW_TEST_DATABASE_URL, or a local
// server with trust authentication. Tests never run against a pretend database, and they fail
// rather than skip when there is none, so that a run without PostgreSQL is red, not silently green.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/jackc/pgx/v5"
)

// DefaultURL is the local server a developer machine and CI run.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ConfiguredURL is the database tests run on, without checking that it answers.
func ConfiguredURL() string {
	if u := os.Getenv("AFTERGLOW_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// URL returns the database tests run on, and fails the test when it does not answer.
func URL(t testing.TB) string {
	t.Helper()
	url := ConfiguredURL()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("no PostgreSQL at %s: %v\nStart one (scripts/postgres-up) or set AFTERGLOW_TEST_DATABASE_URL.", url, err)
	}
	conn.Close(ctx)
	return url
}

// Store opens a store on a schema of the test's own, created and migrated now and dropped with
// everything in it when the test ends, so that tests run side by side on one database.
func Store(t testing.TB, opts pgstore.Options) *pgstore.Store {
	t.Helper()
	url := URL(t)
	if opts.MaxConns == 0 {
		opts.MaxConns = 4
	}
	st, drop, err := pgstore.OpenFresh(context.Background(), url, "afterglow_test_", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop the test schema: %v", err)
		}
	})
	return st
}

// Schema names a schema of the test's own that does not exist yet (for tests of migrations and
// of what runs before them), dropped when the test ends.
func Schema(t testing.TB) (url, schema string) {
	t.Helper()
	url = URL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "afterglow_test_m" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if err := pgstore.DropSchema(context.Background(), url, schema); err != nil {
			t.Errorf("drop the test schema: %v", err)
		}
	})
	return url, schema
}
