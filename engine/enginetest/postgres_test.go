package enginetest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/jackc/pgx/v5"
)

// The suite runs on a real PostgreSQL too: AFTERGLOW_TEST_DATABASE_URL, or a local server with
// trust authentication. Each test gets a schema of its own, dropped when it ends.

const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DatabaseURL is the database the PostgreSQL tests run on.
func DatabaseURL() string {
	if u := os.Getenv("AFTERGLOW_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultDatabaseURL
}

// reachableDB fails the test (never skips it: CI starts a database) when there is no server.
func reachableDB(t testing.TB) string {
	t.Helper()
	url := DatabaseURL()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("no PostgreSQL at %s: %v\nStart one (docker run -e POSTGRES_HOST_AUTH_METHOD=trust -p 5432:5432 postgres:15) or set AFTERGLOW_TEST_DATABASE_URL.", url, err)
	}
	conn.Close(ctx)
	return url
}

func newPostgresStore(t *testing.T) store.Store {
	t.Helper()
	url := reachableDB(t)
	st, drop, err := pgstore.OpenFresh(context.Background(), url, "afterglow_etest_", pgstore.Options{MaxConns: 4})
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

func TestSuiteOnPostgres(t *testing.T) {
	Suite(t, newPostgresStore)
}
