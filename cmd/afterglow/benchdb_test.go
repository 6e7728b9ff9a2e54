package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// Each benchmark on PostgreSQL runs the engine's code on a schema of its own and prints exactly
// the four fields, with the count it was asked for.
func TestBenchOnPostgreSQLPrintsWhatItWasAskedFor(t *testing.T) {
	url := pgtest.URL(t)
	for _, c := range []struct {
		args []string
		what string
		want float64
	}{
		{[]string{"ingest", "--events", "30"}, "events ingested", 30},
		{[]string{"ingest", "--flows", "../../examples/shop", "--customers", "5", "--events", "40", "--days", "5"}, "events ingested", 40},
		{[]string{"tick", "--customers", "12"}, "due journeys advanced", 12},
		{[]string{"dispatch", "--events", "25"}, "messages dispatched", 25},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := afterglow(t, append(append([]string{"bench"}, c.args...), "--db", url, "--format", "json")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			dec := json.NewDecoder(bytes.NewReader([]byte(out)))
			dec.UseNumber()
			var got map[string]any
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if len(got) != 4 {
				t.Errorf("fields %v, want what, count, seconds, per_second", got)
			}
			if got["what"] != c.what {
				t.Errorf("what = %v, want %q", got["what"], c.what)
			}
			if n, _ := got["count"].(json.Number).Float64(); n != c.want {
				t.Errorf("count = %v, want %v", got["count"], c.want)
			}
			for _, k := range []string{"seconds", "per_second"} {
				if v, ok := got[k].(json.Number); !ok {
					t.Errorf("%s = %v, want a number", k, got[k])
				} else if f, _ := v.Float64(); f <= 0 {
					t.Errorf("%s = %v, want it positive", k, v)
				}
			}
		})
	}
	code, _, errs := afterglow(t, "bench", "tick", "--db", url, "--flows", "../../examples/shop")
	if code != 2 || !strings.Contains(errs, "--flows") {
		t.Errorf("bench tick --flows: exit %d, %s", code, errs)
	}
}

// A benchmark stopped with Ctrl-C (SIGINT) drops its schema on the way out: left behind, it would
// keep everything the run wrote in the database.
func TestBenchInterruptedDropsItsSchema(t *testing.T) {
	if url := os.Getenv("AFTERGLOW_TEST_BENCH_DB"); url != "" {
		os.Exit(dispatch([]string{"bench", "ingest", "--db", url, "--events", "400000"}, os.Stdout, os.Stderr))
	}
	url := pgtest.URL(t)
	before := benchSchemas(t, url)
	cmd, errs := startChild(t, "AFTERGLOW_TEST_BENCH_DB="+url)
	defer func() { _ = cmd.Process.Kill() }()
	// Interrupted once it has written: its schema exists and holds events.
	var schema string
	for deadline := time.Now().Add(60 * time.Second); schema == ""; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the benchmark wrote nothing in 60 s\n%s", errs.String())
		}
		for _, s := range benchSchemas(t, url) {
			if !slices.Contains(before, s) && count(t, url, "SELECT count(*) FROM pg_tables WHERE schemaname = '"+s+"' AND tablename = 'events'") == 1 &&
				count(t, url, "SELECT count(*) FROM "+s+".events") > 0 {
				schema = s
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errs.String(), "interrupted") {
		t.Errorf("the interrupted benchmark ended with %v; want exit status 1 saying it was interrupted\n%s", err, errs.String())
	}
	if slices.Contains(benchSchemas(t, url), schema) {
		t.Errorf("schema %s is still in the database after the benchmark was interrupted", schema)
		_ = pgstore.DropSchema(context.Background(), url, schema)
	}
}

func benchSchemas(t *testing.T, url string) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'afterglow\_bench\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// As text, a benchmark also gives the process's own CPU over the measured part: on a machine
// the database shares, wall time and CPU together say which side is busy.
func TestBenchTextGivesTheProcessCPU(t *testing.T) {
	code, out, errs := afterglow(t, "bench", "tick", "--customers", "12", "--db", pgtest.URL(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	line := regexp.MustCompile(`^due journeys advanced: 12 in [0-9.]+ s, [0-9]+/s; this process's CPU ([0-9.]+) s \(([0-9.]+) user, ([0-9.]+) system\)\n$`)
	m := line.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the line does not read as wall time, rate and CPU:\n%s", out)
	}
	total, _ := strconv.ParseFloat(m[1], 64)
	user, _ := strconv.ParseFloat(m[2], 64)
	system, _ := strconv.ParseFloat(m[3], 64)
	if d := total - user - system; d < -0.11 || d > 0.11 {
		t.Errorf("CPU %v s is not user %v + system %v", total, user, system)
	}
}
