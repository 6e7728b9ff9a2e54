package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/internal/pgtest"
)

func TestMigrateCommand(t *testing.T) {
	url, schema := pgtest.Schema(t)
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
	url := pgtest.URL(t)
	var out, errs bytes.Buffer
	code := dispatch([]string{"test", "--db", url, "../../flows/thank-you-nps"}, &out, &errs)
	if code != 0 {
		t.Fatalf("afterglow test --db exited %d:\n%s%s", code, out.String(), errs.String())
	}
	if !strings.Contains(out.String(), "ok ") {
		t.Errorf("no test ran:\n%s", out.String())
	}
}
