package scenario_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/scenario"
)

func memory(context.Context) (store.Store, func(), error) { return memstore.New(), func() {}, nil }

func runAll(t *testing.T, paths ...string) []scenario.FileResult {
	t.Helper()
	files, err := scenario.Find(paths)
	if err != nil {
		t.Fatal(err)
	}
	var out []scenario.FileResult
	(&scenario.Suite{NewStore: memory}).Run(context.Background(), files, func(r scenario.FileResult) { out = append(out, r) })
	return out
}

// The engine regressions under testdata/engine-bugs each pin a rule of docs/flows.md the engine
// once got wrong; they must keep passing.
func TestEngineRegressions(t *testing.T) {
	results := runAll(t, filepath.Join("..", "testdata", "engine-bugs"))
	if len(results) < 3 {
		t.Fatalf("found %d scenario tests, want the 3 regressions", len(results))
	}
	for _, r := range results {
		if len(r.Diagnostics) > 0 {
			t.Errorf("%s does not load: %v", r.File, r.Diagnostics)
			continue
		}
		if r.Result.Err != nil || !r.Result.Pass {
			t.Errorf("%s: %v\n%s", r.File, r.Result.Err, r.Result.Report)
		}
	}
}

// A test whose expectations are wrong fails, and its report shows each difference: the expected
// message that was not sent with the closest one that was, the message sent and not expected,
// and the journey as it ended.
func TestWrongExpectationsFailWithADiff(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "testdata", "engine-bugs")
	for _, f := range []string{"afterglow.yaml", "flows/unset-attribute.yaml", "schemas/customer.schema.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test := `name: Giulia gets an SMS, which she does not
flows: [unset-attribute]
start: 2026-03-05T10:00:00+01:00
customers:
  giulia: {email: giulia.rossi@example.it, first_name: Giulia, locale: it, timezone: Europe/Rome}
events:
  - {at: 0s, type: order.placed, customer: giulia, data: {order_id: "751", total: 1600.00, currency: EUR}}
until: 1d
expect:
  messages:
    - {at: 0s, customer: giulia, flow: unset-attribute, step: not-gold, channel: sms}
  journeys:
    - {customer: giulia, flow: unset-attribute, status: exited}
`
	if err := os.WriteFile(filepath.Join(dir, "wrong.test.yaml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	results := runAll(t, dir)
	if len(results) != 1 || results[0].Result == nil {
		t.Fatalf("results: %+v", results)
	}
	r := results[0].Result
	if r.Pass || r.Err != nil {
		t.Fatalf("a test with wrong expectations passed (err %v)", r.Err)
	}
	for _, want := range []string{
		"expected, not sent:", "sms", "(line 11)",
		"closest sent:", `"You are not Gold yet"`,
		"sent, not expected:",
		"expected: status exited", "(line 13)", "actual:   status completed",
	} {
		if !strings.Contains(r.Report, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.Report)
		}
	}
}

// A journey the test expects and that is missing comes with why: the trigger's when that did
// not hold and the values it read.
func TestMissingJourneySaysWhy(t *testing.T) {
	results := runAll(t, filepath.Join("testdata", "why-not"))
	if len(results) != 1 || results[0].Result == nil || len(results[0].Diagnostics) > 0 {
		t.Fatalf("results: %+v", results)
	}
	r := results[0].Result
	if r.Pass || r.Err != nil {
		t.Fatalf("the test passed or did not run (err %v)", r.Err)
	}
	for _, want := range []string{
		"actual:   no journey",
		"why:      order.placed order-1001: the trigger's when (event.data.total >= 50 && customer.orders_count >= 1) is false",
		"event.data.total = 42.5, customer.orders_count = 1",
	} {
		if !strings.Contains(r.Report, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.Report)
		}
	}
}
