package pgstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/engine/storetest"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/internal/pgtest"
	"github.com/shopspring/decimal"
)

// The tests run against a real PostgreSQL (see internal/pgtest). Each test gets a schema of its
// own, dropped when it ends.

func newStore(t testing.TB) *pgstore.Store { return pgtest.Store(t, pgstore.Options{MaxConns: 8}) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

// unmigrated names a schema of its own that does not exist yet, dropped when the test ends.
func unmigrated(t *testing.T) (opts pgstore.Options, url string) {
	url, schema := pgtest.Schema(t)
	return pgstore.Options{Schema: schema, MaxConns: 4}, url
}

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	opts, url := unmigrated(t)
	pool, err := pgstore.Connect(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	applied, err := pgstore.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != pgstore.LatestVersion() || applied[0].Version != 1 {
		t.Fatalf("first run applied %v, want every migration", applied)
	}
	tables := func() string {
		var s string
		if err := pool.QueryRow(ctx, `SELECT string_agg(table_name || ':' || column_name || ':' || data_type, ',' ORDER BY table_name, ordinal_position)
			FROM information_schema.columns WHERE table_schema = $1`, opts.Schema).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := tables()
	applied, err = pgstore.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("second run applied %v, want nothing", applied)
	}
	if after := tables(); after != before {
		t.Errorf("second run changed the schema:\n%s\n%s", before, after)
	}
	if err := pgstore.CheckSchema(ctx, pool); err != nil {
		t.Errorf("CheckSchema after Migrate: %v", err)
	}
	st, err := pgstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("Open on a migrated schema: %v", err)
	}
	st.Close()
}

func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	opts, url := unmigrated(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	total := make(chan int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgstore.Connect(ctx, url, opts)
			if err != nil {
				errs <- err
				return
			}
			defer pool.Close()
			applied, err := pgstore.Migrate(ctx, pool)
			if err != nil {
				errs <- err
			}
			total <- len(applied)
		}()
	}
	wg.Wait()
	close(errs)
	close(total)
	for err := range errs {
		t.Errorf("concurrent Migrate: %v", err)
	}
	n := 0
	for k := range total {
		n += k
	}
	if n != pgstore.LatestVersion() {
		t.Errorf("four processes applied %d migrations between them, want each once (%d)", n, pgstore.LatestVersion())
	}
}

func TestCheckSchemaRefuses(t *testing.T) {
	ctx := context.Background()
	opts, url := unmigrated(t)
	pool, err := pgstore.Connect(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE SCHEMA `+opts.Schema); err != nil {
		t.Fatal(err)
	}
	err = pgstore.CheckSchema(ctx, pool)
	if err == nil || !strings.Contains(err.Error(), "afterglow migrate") {
		t.Errorf("CheckSchema on an empty schema: %v, want an error saying to run afterglow migrate", err)
	}
	if _, err := pgstore.Open(ctx, url, opts); err == nil || !strings.Contains(err.Error(), "afterglow migrate") {
		t.Errorf("Open on an empty schema: %v, want an error saying to run afterglow migrate", err)
	}
	if _, err := pgstore.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, pgstore.LatestVersion()); err != nil {
		t.Fatal(err)
	}
	if err := pgstore.CheckSchema(ctx, pool); err == nil || !strings.Contains(err.Error(), "afterglow migrate") {
		t.Errorf("CheckSchema missing a migration: %v, want an error saying to run afterglow migrate", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'init'), ($2, 'from_the_future')`,
		pgstore.LatestVersion(), pgstore.LatestVersion()+1); err != nil {
		t.Fatal(err)
	}
	err = pgstore.CheckSchema(ctx, pool)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("CheckSchema on a newer schema: %v, want an error saying it is newer", err)
	}
	if _, err := pgstore.Migrate(ctx, pool); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate on a newer schema: %v, want an error saying it is newer", err)
	}
}

func TestBadSchemaName(t *testing.T) {
	_, err := pgstore.Connect(context.Background(), pgtest.ConfiguredURL(), pgstore.Options{Schema: `x"; DROP TABLE y; --`})
	if err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("Connect with a bad schema name: %v", err)
	}
}

// TestIndexesUsed checks that the queries that run on every batch or poll read their index, not
// the table: a plan that drifts to a sequential scan would pass every other test and be slow.
func TestIndexesUsed(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	pool := st.Pool()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	// Customers with years of sent messages and a few held for weeks: reading held ones by
	// send_at alone would read every customer's, and by customer alone all their history.
	if _, err := conn.Exec(ctx, `INSERT INTO messages (customer_id, id, journey_id, status, send_at, created_at)
		SELECT 'c' || i % 100, 'm' || i, 'j' || i, CASE WHEN i % 50 = 0 THEN 'pending' ELSE 'sent' END,
			now() + (i - 4000) * interval '1 minute', now() FROM generate_series(1, 20000) i;
		ANALYZE messages`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sql, index string }{
		{`SELECT id FROM customers WHERE next_wake_at <= now() ORDER BY next_wake_at, id LIMIT 10 FOR UPDATE SKIP LOCKED`, "customers_next_wake"},
		{`SELECT id FROM customers WHERE dates_version < 'v' ORDER BY dates_version, id LIMIT 10`, "customers_dates_version"},
		{`SELECT id FROM journeys WHERE customer_id = ANY('{a,b}'::text[]) AND (status = 'active' OR (goal_until > now() AND converted_at IS NULL))`, "journeys_open"},
		{`SELECT id FROM messages WHERE status IN ('pending', 'sending') AND send_at <= now() AND (status = 'pending' OR lease_until IS NULL OR lease_until < now()) ORDER BY send_at, id LIMIT 10`, "messages_due"},
		{`SELECT customer_id FROM events WHERE type = 'order.placed' AND source = 's' AND data ->> 'order_id' = '1'`, "events_order_placed"},
		{`SELECT n FROM attempts WHERE message_id = 'm'`, "attempts_message"},
		{`SELECT id FROM customers WHERE attrs ? 'email' AND lower(attrs->>'email') = lower('Ana@Example.com')`, "customers_email"},
		{`SELECT id FROM customers WHERE id LIKE 'cus\_10%'`, "customers_pkey"},
		{`SELECT journey_id FROM messages WHERE customer_id = ANY('{a,b}'::text[]) AND status = 'pending' AND send_at > now()`, "messages_held"},
		{`SELECT id FROM messages WHERE customer_id = 'c1' AND status = 'pending' AND send_at > now() AND attempts = 0 AND category = 'marketing' ORDER BY send_at, id FOR UPDATE`, "messages_held"},
	} {
		var plan strings.Builder
		rows, err := conn.Query(ctx, `EXPLAIN `+tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), tc.index) {
			t.Errorf("%s\ndoes not use %s:\n%s", tc.sql, tc.index, plan.String())
		}
	}
}

// Benchmarks: batches of 1,000 rows, one transaction each, as the engine writes them. Run with
//
//	go test ./engine/store/pgstore -run '^$' -bench . -benchtime 200x
//
// and read rows/s.

const benchBatch = 1000

func benchStore(b *testing.B) *pgstore.Store {
	b.Helper()
	return newStore(b)
}

func reportRows(b *testing.B) {
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "rows/s")
}

func benchEvent(i int) store.StoredEvent {
	cid := fmt.Sprintf("cust-%07d", i%50000)
	return store.StoredEvent{Event: event.Event{
		SpecVersion: "1.0", ID: fmt.Sprintf("evt-%09d", i), Source: "shopify/aurora", Type: "order.placed", Subject: cid,
		Time: time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Data: map[string]any{"order_id": fmt.Sprint(100000 + i), "total": json.Number("59.90"), "currency": "PEN",
			"items": []any{map[string]any{"sku": "SER-30", "product_id": "p-30", "name": "Sérum 30 ml", "quantity": json.Number("1"), "price": json.Number("59.90")}}},
	}}
}

func BenchmarkInsertEvents(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	batches := make([][]store.StoredEvent, b.N)
	for i := range batches {
		batches[i] = make([]store.StoredEvent, benchBatch)
		for k := range batches[i] {
			batches[i][k] = benchEvent(i*benchBatch + k)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs := batches[i]
		if err := st.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.InsertEvents(ctx, evs)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b)
}

func BenchmarkLockSaveCustomers(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	const population = 20000 // the first rounds create customers, the rest update them
	now := time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)
	batches := make([][]string, b.N)
	for i := range batches {
		ids := make([]string, benchBatch)
		for k := range ids {
			ids[k] = fmt.Sprintf("cust-%07d", (i*benchBatch+k)%population)
		}
		sort.Strings(ids)
		batches[i] = ids
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ids := batches[i]
		if err := st.InTx(ctx, func(tx store.Tx) error {
			cs, err := tx.LockCustomers(ctx, ids, now)
			if err != nil {
				return err
			}
			for _, c := range cs {
				c.Attrs["email"] = c.ID + "@example.com"
				c.Attrs["first_name"] = "Laura"
				c.Attrs["consent"] = map[string]any{"email": true}
				c.OrdersCount++
				c.TotalSpent = c.TotalSpent.Add(decimal.RequireFromString("59.90"))
				c.LastOrderAt = now
				c.Sends = []store.SendMark{{At: now, Channel: "email", Category: "marketing"}}
				c.NextWakeAt = now.Add(72 * time.Hour)
			}
			return tx.SaveCustomers(ctx, cs)
		}); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b)
}

func BenchmarkSaveJourneys(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	const population = 20000 // the first rounds insert journeys, the rest update them
	now := time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)
	batches := make([][]*store.Journey, b.N)
	for i := range batches {
		js := make([]*store.Journey, benchBatch)
		for k := range js {
			n := (i*benchBatch + k) % population
			ev := benchEvent(n)
			js[k] = &store.Journey{
				ID: fmt.Sprintf("j_%012d", n), CustomerID: ev.Subject, FlowID: "thank-you-nps", FlowVersion: "sha256:0123456789abcdef",
				Status: store.Active, StepID: "nps", WakeAt: now.Add(72 * time.Hour), EnteredAt: now, Trigger: ev.Event,
				Outputs: map[string]store.StepOutput{"split": {Variant: "a"}},
			}
		}
		sort.Slice(js, func(a, c int) bool {
			if js[a].CustomerID != js[c].CustomerID {
				return js[a].CustomerID < js[c].CustomerID
			}
			return js[a].ID < js[c].ID
		})
		batches[i] = js
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		js := batches[i]
		if err := st.InTx(ctx, func(tx store.Tx) error { return tx.SaveJourneys(ctx, js) }); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b)
}

// The pool's size is the caller's, else the URL's pool_max_conns, else four per CPU (at least
// eight): pgx's own default would starve a process's workers.
func TestPoolSize(t *testing.T) {
	ctx := context.Background()
	base := pgtest.URL(t)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for _, c := range []struct {
		url  string
		opts pgstore.Options
		want int32
	}{
		{base, pgstore.Options{}, int32(max(8, 4*runtime.GOMAXPROCS(0)))},
		{base + sep + "pool_max_conns=3", pgstore.Options{}, 3},
		{base + sep + "pool_max_conns=3", pgstore.Options{MaxConns: 5}, 5},
	} {
		pool, err := pgstore.Connect(ctx, c.url, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := pool.Config().MaxConns; got != c.want {
			t.Errorf("%s with %+v: %d connections, want %d", c.url, c.opts, got, c.want)
		}
		pool.Close()
	}
}
