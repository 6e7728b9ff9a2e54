package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/jackc/pgx/v5"
)

// These tests need PostgreSQL (AFTERGLOW_TEST_DATABASE_URL, or a local server with trust
// authentication) and fail without it.

func testDatabase(t *testing.T) string {
	t.Helper()
	url := os.Getenv("AFTERGLOW_TEST_DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("no PostgreSQL at %s: %v (start one, or set AFTERGLOW_TEST_DATABASE_URL)", url, err)
	}
	conn.Close(context.Background())
	return url
}

func TestMigrateCommand(t *testing.T) {
	url := testDatabase(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "afterglow_test_cli" + hex.EncodeToString(b[:])
	t.Cleanup(func() { _ = pgstore.DropSchema(context.Background(), url, schema) })
	run := func() string {
		var out, errs bytes.Buffer
		if code := dispatch([]string{"migrate", "--db", url, "--schema", schema}, &out, &errs); code != 0 {
			t.Fatalf("afterglow migrate exited %d: %s", code, errs.String())
		}
		return out.String()
	}
	if out := run(); !strings.Contains(out, "applied 0001_init") {
		t.Errorf("first run printed %q, want the migrations it applied", out)
	}
	if out := run(); !strings.Contains(out, "database is up to date") {
		t.Errorf("second run printed %q, want \"database is up to date\"", out)
	}
	st, err := pgstore.Open(context.Background(), url, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatalf("the migrated schema does not open: %v", err)
	}
	st.Close()
}

func TestMigrateNeedsADatabase(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("DATABASE_URL", "")
	var out, errs bytes.Buffer
	if code := dispatch([]string{"migrate"}, &out, &errs); code != 2 || !strings.Contains(errs.String(), "--db") {
		t.Errorf("migrate without a database: exit %d, %q", code, errs.String())
	}
}

func TestScenarioTestsOnPostgres(t *testing.T) {
	url := testDatabase(t)
	var out, errs bytes.Buffer
	code := dispatch([]string{"test", "--db", url, "../../flows/thank-you-nps"}, &out, &errs)
	if code != 0 {
		t.Fatalf("afterglow test --db exited %d:\n%s%s", code, out.String(), errs.String())
	}
	if !strings.Contains(out.String(), "ok ") {
		t.Errorf("no test ran:\n%s", out.String())
	}
}
