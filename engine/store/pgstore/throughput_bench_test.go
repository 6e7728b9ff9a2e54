package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/loadtest"
	"github.com/afterglowhq/afterglow/event"
)

// The throughput benchmarks measure the engine on this store with a small, realistic flow set
// (loadtest.OrderFlows): three flows react to order.placed, so each new order stores its event,
// updates its customer, enters three journeys, runs them to their first pause and writes a message.
// afterglow bench ingest and bench tick run the same code on a database of your choice.
//
//	go test ./engine/store/pgstore -run '^$' -bench 'Ingest$|IngestParallel|Tick$' -benchtime 20x

var benchT0 = loadtest.T0

// loadWorkspace loads files (path -> content) as a workspace, which must be clean.
func loadWorkspace(b *testing.B, files map[string]string) *dsl.Workspace {
	b.Helper()
	ws, err := loadtest.LoadFiles(b.TempDir(), files)
	if err != nil {
		b.Fatal(err)
	}
	return ws
}

// BenchmarkIngest is one ingester: b.N batches of 1,000 events, each batch one transaction.
func BenchmarkIngest(b *testing.B) {
	ws := loadWorkspace(b, loadtest.OrderFlows)
	ctx := context.Background()
	eng, clk, err := loadtest.Engine(ctx, newStore(b), ws, benchT0, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	evs := loadtest.Orders("c", b.N*benchBatch, 1)
	b.ResetTimer()
	began := time.Now()
	if err := loadtest.Intake(ctx, eng, clk, evs, 1); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(evs))/time.Since(began).Seconds(), "events/s")
}

// BenchmarkIngestParallel runs several ingesters at once, each on customers of its own (as
// routing a customer's events to one ingester does), each batch of 1,000 events one transaction.
// Each ingester sends b.N batches.
func BenchmarkIngestParallel(b *testing.B) {
	for _, n := range []int{2, 4} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ws := loadWorkspace(b, loadtest.OrderFlows)
			ctx := context.Background()
			eng, _, err := loadtest.Engine(ctx, newStore(b), ws, benchT0, engine.Options{})
			if err != nil {
				b.Fatal(err)
			}
			streams := make([][]event.Event, n)
			for k := range streams {
				streams[k] = loadtest.Orders(fmt.Sprintf("p%d-", k), b.N*benchBatch, uint64(k))
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
	ws := loadWorkspace(b, loadtest.OrderFlows)
	ctx := context.Background()
	woken := 0
	var spent time.Duration
	for range b.N {
		b.StopTimer()
		eng, clk, err := loadtest.Engine(ctx, newStore(b), ws, benchT0, engine.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := loadtest.PrepareDue(ctx, eng, clk, n); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		began := time.Now()
		k, err := loadtest.TickAll(ctx, eng, 1)
		if err != nil {
			b.Fatal(err)
		}
		spent += time.Since(began)
		if k != n {
			b.Fatalf("woke %d customers, want %d", k, n)
		}
		woken += k
	}
	b.ReportMetric(float64(woken)/spent.Seconds(), "journeys/s")
}
