package chaostest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/all" // settings name connectors
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine/loadtest"
	"github.com/afterglowhq/afterglow/internal/pgtest"
	_ "github.com/afterglowhq/afterglow/sources/all" // settings name sources
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
)

func reachable(t testing.TB) string { return pgtest.URL(t) }

// envInt reads a size from the environment, for running the tests bigger or smaller than usual.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// writeWorkspace writes the flows and settings to dir and loads them; any diagnostic of error
// severity is returned, so that a run always runs the flows it means.
func writeWorkspace(dir, settings string) (*dsl.Workspace, error) {
	files := map[string]string{"afterglow.yaml": settings}
	for k, v := range flows {
		files[k] = v
	}
	if err := loadtest.WriteFiles(dir, files); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		return nil, err
	}
	return loadWorkspace(dir)
}

// loadWorkspace loads the workspace in dir.
func loadWorkspace(dir string) (*dsl.Workspace, error) {
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	for _, d := range l.Items() {
		if d.Severity == diag.Error {
			return nil, fmt.Errorf("workspace does not validate: %s", d)
		}
	}
	return ws, nil
}

// snapshot is what a run left in the database.
type snapshot struct {
	Journeys  map[string][]string // by customer: journeyLine, sorted
	Messages  map[string][]string // by customer: messageLine, sorted
	Customers map[string]customerRow
	Events    map[string]int // stored events by customer
	// Rows are every journey, message and customer as one line each, sorted, for comparing two
	// runs record by record.
	Rows []string
}

type customerRow struct {
	OrdersCount           int
	TotalSpent            string
	Points, Tier, Variant string
}

func readSnapshot(ctx context.Context, pool *pgxpool.Pool) (*snapshot, error) {
	s := &snapshot{Journeys: map[string][]string{}, Messages: map[string][]string{}, Customers: map[string]customerRow{}, Events: map[string]int{}}
	rows, err := pool.Query(ctx, `SELECT customer_id, flow_id, key, status, step_id, converted_at IS NOT NULL FROM journeys`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var cust, flow, key, status, step string
		var conv bool
		if err := rows.Scan(&cust, &flow, &key, &status, &step, &conv); err != nil {
			rows.Close()
			return nil, err
		}
		s.Journeys[cust] = append(s.Journeys[cust], journeyLine(flow, key, status, step, conv))
		s.Rows = append(s.Rows, fmt.Sprintf("journey %s %s[%s] %s %s %v", cust, flow, key, status, step, conv))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = pool.Query(ctx, `SELECT id, customer_id, flow_id, step_id, status, reason, send_at FROM messages`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, cust, flow, step, status, reason string
		var sendAt time.Time
		if err := rows.Scan(&id, &cust, &flow, &step, &status, &reason, &sendAt); err != nil {
			rows.Close()
			return nil, err
		}
		s.Messages[cust] = append(s.Messages[cust], messageLine(flow, step, status, reason, sendAt))
		s.Rows = append(s.Rows, fmt.Sprintf("message %s %s %s/%s %s %s", id, cust, flow, step, status, sendAt.UTC().Format(time.RFC3339)))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = pool.Query(ctx, `SELECT id, orders_count, total_spent::text, coalesce(attrs->>'points', ''), coalesce(attrs->>'tier', ''),
		coalesce(attrs->>'variant', '') FROM customers`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var c customerRow
		if err := rows.Scan(&id, &c.OrdersCount, &c.TotalSpent, &c.Points, &c.Tier, &c.Variant); err != nil {
			rows.Close()
			return nil, err
		}
		s.Customers[id] = c
		s.Rows = append(s.Rows, fmt.Sprintf("customer %s orders=%d spent=%s points=%s tier=%s variant=%s", id, c.OrdersCount, c.TotalSpent, c.Points, c.Tier, c.Variant))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = pool.Query(ctx, `SELECT customer_id, count(*) FROM events GROUP BY customer_id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, err
		}
		s.Events[id] = n
		s.Rows = append(s.Rows, fmt.Sprintf("events %s %d", id, n))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, m := range []map[string][]string{s.Journeys, s.Messages} {
		for _, v := range m {
			sort.Strings(v)
		}
	}
	sort.Strings(s.Rows)
	return s, nil
}

// check compares every customer's state with what its events alone say it must be, and returns
// the differences (at most limit customers' worth). With sent, every message that was not
// skipped must have been delivered.
func (w *workload) check(s *snapshot, sent bool, limit int) []string {
	var out []string
	bad := 0
	variants := map[string]int{}
	for _, p := range w.Plans {
		ex := p.expect()
		var diffs []string
		c, ok := s.Customers[p.ID]
		if !ok {
			out = append(out, p.ID+": not stored")
			bad++
			continue
		}
		variants[c.Variant]++
		if c.Variant != "a" && c.Variant != "b" {
			diffs = append(diffs, fmt.Sprintf("variant %q, want a or b (set by welcome/credit)", c.Variant))
		}
		if c.OrdersCount != ex.OrdersCount {
			diffs = append(diffs, fmt.Sprintf("orders_count %d, want %d", c.OrdersCount, ex.OrdersCount))
		}
		if d, err := decimal.NewFromString(c.TotalSpent); err != nil || !d.Equal(ex.TotalSpent) {
			diffs = append(diffs, fmt.Sprintf("total_spent %s, want %s", c.TotalSpent, ex.TotalSpent))
		}
		if c.Points != strconv.Itoa(ex.Points) {
			diffs = append(diffs, fmt.Sprintf("points %s, want %d", c.Points, ex.Points))
		}
		if (c.Tier == "gold") != ex.Gold {
			diffs = append(diffs, fmt.Sprintf("tier %q, want gold: %v", c.Tier, ex.Gold))
		}
		if s.Events[p.ID] != ex.Events {
			diffs = append(diffs, fmt.Sprintf("%d events stored, want %d", s.Events[p.ID], ex.Events))
		}
		wantMsgs := withVariant(ex.Messages, c.Variant)
		if sent {
			for i, l := range wantMsgs {
				wantMsgs[i] = strings.Replace(l, " pending ", " sent ", 1)
			}
			sort.Strings(wantMsgs)
		}
		diffs = append(diffs, diffLines("journey", s.Journeys[p.ID], ex.Journeys)...)
		diffs = append(diffs, diffLines("message", s.Messages[p.ID], wantMsgs)...)
		if len(diffs) > 0 {
			bad++
			if bad <= limit {
				out = append(out, fmt.Sprintf("%s:\n    %s\n  its events:\n    %s", p.ID, strings.Join(diffs, "\n    "), strings.Join(p.describe(), "\n    ")))
			}
		}
	}
	for id := range s.Customers {
		if !strings.HasPrefix(id, "c") || len(id) != 6 {
			out = append(out, "unexpected customer "+id)
		}
	}
	if bad > limit {
		out = append(out, fmt.Sprintf("... %d customers differ in all", bad))
	}
	// The split is a stable hash of the customer: about half each way.
	if n := len(w.Plans); n >= 200 && (variants["a"] < n*2/5 || variants["a"] > n*3/5) {
		out = append(out, fmt.Sprintf("welcome split gave %d a and %d b: not the 1:1 of its weights", variants["a"], variants["b"]))
	}
	return out
}

// diffLines lists what is in got and not in want, and the reverse, as multisets.
func diffLines(what string, got, want []string) []string {
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	for _, w := range want {
		count[w]--
	}
	var out []string
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch n := count[k]; {
		case n > 0:
			out = append(out, fmt.Sprintf("unexpected %s (%d): %s", what, n, k))
		case n < 0:
			out = append(out, fmt.Sprintf("missing %s (%d): %s", what, -n, k))
		}
	}
	return out
}

func (p *plan) describe() []string {
	var out []string
	for _, e := range p.Events {
		out = append(out, fmt.Sprintf("step %d %s %v", e.Step, e.Ev.Type, e.Ev.Data))
	}
	for _, e := range p.Dups {
		out = append(out, fmt.Sprintf("step %d redelivery of %s", e.Step, e.Ev.ID))
	}
	return out
}
