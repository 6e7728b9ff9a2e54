package enginetest

import (
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/internal/pgtest"
)

// The suite runs on a real PostgreSQL too: AFTERGLOW_TEST_DATABASE_URL, or a local server with
// trust authentication. Each test gets a schema of its own, dropped when it ends.

func newPostgresStore(t *testing.T) store.Store { return pgtest.Store(t, pgstore.Options{MaxConns: 4}) }

func TestSuiteOnPostgres(t *testing.T) {
	Suite(t, newPostgresStore)
}
