package pgstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
)

// The throughput benchmarks measure the engine on this store with a small, realistic flow set:
// three flows react to order.placed, so each new order stores its event, updates its customer,
// enters three journeys, runs them to their first pause and writes two messages.
//
//	go test ./engine/store/pgstore -run '^$' -bench 'Ingest$|IngestParallel|Tick$' -benchtime 20x

var throughputFlows = map[string]string{
	"flows/thank-you.yaml": `
flow: thank-you
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: thanks, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Thanks for order {{ trigger.data.order_id }}", text: "Hi {{ customer.first_name }}, we got it."}}}}}
`,
	"flows/survey.yaml": `
flow: survey
trigger: {event: order.placed}
steps:
  - {id: settle, wait: 3d}
  - {id: ask, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "How was it?", text: "Hi {{ customer.first_name }}"}}}}}
`,
	"flows/delivery.yaml": `
flow: delivery
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - id: delivered
    wait_for: {event: order.delivered, when: event.data.order_id == trigger.data.order_id, timeout: 10d}
  - {id: enjoy, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Enjoy", text: "Hi"}}}}}
`,
}

var benchT0 = time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)

func throughputWorkspace(b *testing.B) *dsl.Workspace {
	files := map[string]string{"afterglow.yaml": "flows: [flows]\ntemplates: [flows]\ntimezone: America/Lima\nsecret: bench\nchannels:\n  email: {connector: console}\n"}
	for k, v := range throughputFlows {
		files[k] = v
	}
	return loadWorkspace(b, files)
}

// loadWorkspace writes files (path -> content) into a folder of their own and loads them as a
// workspace, which must be clean.
func loadWorkspace(b *testing.B, files map[string]string) *dsl.Workspace {
	b.Helper()
	dir := b.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.TrimLeft(body, "\n")), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	if ws == nil || l.HasErrors() {
		b.Fatalf("workspace does not load: %v", l.Items())
	}
	return ws
}

// orders makes n order.placed events for customers of prefix: a third of them returning
// customers, the rest new, as a shop's stream has them.
func orders(prefix string, n int, seed uint64) []event.Event {
	r := rand.New(rand.NewPCG(seed, 1))
	evs := make([]event.Event, n)
	known := 0
	for i := range evs {
		c := known
		if known > 0 && r.IntN(3) == 0 {
			c = r.IntN(known)
		} else {
			known++
		}
		cust := fmt.Sprintf("%s%07d", prefix, c)
		evs[i] = event.Event{SpecVersion: "1.0", ID: fmt.Sprintf("%s-%d", prefix, i), Source: "bench", Type: event.OrderPlaced,
			Subject: cust, Time: benchT0,
			Data: map[string]any{"order_id": fmt.Sprintf("%s-o%d", prefix, i), "total": json.Number("59.90"), "currency": "PEN",
				"items": []any{map[string]any{"sku": "SER-VITC-30", "quantity": json.Number("1"), "price": json.Number("59.90")}}}}
	}
	return evs
}

// BenchmarkIngest is one ingester: b.N batches of 1,000 events, each batch one transaction.
func BenchmarkIngest(b *testing.B) {
	ws := throughputWorkspace(b)
	st := newStore(b)
	clk := clock.NewVirtual(benchT0)
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop()})
	ctx := context.Background()
	if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
		b.Fatal(err)
	}
	evs := orders("c", b.N*benchBatch, 1)
	b.ResetTimer()
	began := time.Now()
	for i := range b.N {
		clk.Advance(time.Second)
		if _, err := eng.Ingest(ctx, evs[i*benchBatch:(i+1)*benchBatch]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs))/time.Since(began).Seconds(), "events/s")
}

// BenchmarkIngestParallel runs several ingesters at once, each on customers of its own (as
// routing a customer's events to one ingester does), each batch of 1,000 events one transaction.
// Each ingester sends b.N batches.
func BenchmarkIngestParallel(b *testing.B) {
	for _, n := range []int{2, 4} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ws := throughputWorkspace(b)
			st := newStore(b)
			clk := clock.NewVirtual(benchT0)
			eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop()})
			ctx := context.Background()
			if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
				b.Fatal(err)
			}
			streams := make([][]event.Event, n)
			for k := range streams {
				streams[k] = orders(fmt.Sprintf("p%d-", k), b.N*benchBatch, uint64(k))
			}
			b.ResetTimer()
			began := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for _, evs := range streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range b.N {
						if _, err := eng.Ingest(ctx, evs[i*benchBatch:(i+1)*benchBatch]); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(began)
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n*b.N*benchBatch)/elapsed.Seconds(), "events/s")
		})
	}
}

// BenchmarkTick measures timers: customers each with a journey whose wait has come (the survey's
// three days) and one still waiting (the delivery, ten days), and Tick advancing them in batches
// of the engine's default size until none is due. Each of the b.N rounds prepares its own
// AFTERGLOW_BENCH_DUE customers (default 10,000) before the timer starts.
func BenchmarkTick(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("AFTERGLOW_BENCH_DUE")); err == nil && v > 0 {
		n = v
	}
	ws := throughputWorkspace(b)
	ctx := context.Background()
	woken := 0
	var spent time.Duration
	for range b.N {
		b.StopTimer()
		st := newStore(b)
		clk := clock.NewVirtual(benchT0)
		eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop()})
		if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
			b.Fatal(err)
		}
		evs := make([]event.Event, n)
		for i := range evs {
			evs[i] = event.Event{SpecVersion: "1.0", ID: fmt.Sprint(i), Source: "bench", Type: event.OrderPlaced,
				Subject: fmt.Sprintf("t%07d", i), Time: benchT0, Data: map[string]any{"order_id": fmt.Sprint(i), "total": json.Number("10")}}
		}
		for k := 0; k < n; k += benchBatch {
			if _, err := eng.Ingest(ctx, evs[k:min(k+benchBatch, n)]); err != nil {
				b.Fatal(err)
			}
		}
		clk.Advance(4 * 24 * time.Hour)
		b.StartTimer()
		began := time.Now()
		for {
			k, err := eng.Tick(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if k == 0 {
				break
			}
			woken += k
		}
		spent += time.Since(began)
		if woken%n != 0 {
			b.Fatalf("woke %d customers, want a multiple of %d", woken, n)
		}
	}
	b.ReportMetric(float64(woken)/spent.Seconds(), "journeys/s")
}
