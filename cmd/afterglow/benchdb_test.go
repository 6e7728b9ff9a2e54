package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/internal/pgtest"
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
