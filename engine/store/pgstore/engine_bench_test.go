package pgstore_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/loadtest"
	"github.com/afterglowhq/afterglow/sim"
	_ "github.com/afterglowhq/afterglow/sources/all"
	"github.com/rs/zerolog"
)

// BenchmarkEngineSimulate runs the real engine on this store: the example shop's flows over
// synthetic traffic (orders, deliveries, reviews, sign-ups) on a virtual clock, with every
// timer and schedule, in batches of up to 1,000 events a transaction. It reports events/s.
//
//	go test ./engine/store/pgstore -run '^$' -bench EngineSimulate -benchtime 1x
func BenchmarkEngineSimulate(b *testing.B) {
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join("..", "..", "..", "examples", "shop", "afterglow.yaml"), func(s string) string { return s }, &l)
	if ws == nil || l.HasErrors() {
		b.Fatalf("examples/shop does not load: %v", l.Items())
	}
	syn := sim.Synthetic{Customers: 500, Events: 5000, Days: 60, Seed: 1, Start: time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)}
	if n, err := strconv.Atoi(os.Getenv("AFTERGLOW_BENCH_EVENTS")); err == nil {
		syn.Events, syn.Customers = n, max(10, n/10)
	}
	evs := syn.Generate()
	ctx := context.Background()
	total := 0
	var spent time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := newStore(b)
		clk := clock.NewVirtual(syn.Start)
		eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop()})
		if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		began := time.Now()
		if err := (&sim.Driver{Engine: eng, Clock: clk}).Run(ctx, append(evs[:0:0], evs...), syn.Start.Add(time.Duration(syn.Days)*24*time.Hour)); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(began)
		total += len(evs)
	}
	b.ReportMetric(float64(total)/spent.Seconds(), "events/s")
}

// BenchmarkEngineIngest feeds the same traffic to Engine.Ingest in batches of 1,000 events, as a
// busy `afterglow run` takes them from its queue, with the clock at each batch's last event.
// Timers are left for later: this is the event path alone. "flows" runs the example shop's flows
// (each event enters or moves about 2.6 journeys and writes 2 messages); "history" only stores
// the events and updates the customers, as a backfill does. It reports events/s.
//
//	go test ./engine/store/pgstore -run '^$' -bench EngineIngest -benchtime 1x
func BenchmarkEngineIngest(b *testing.B) {
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join("..", "..", "..", "examples", "shop", "afterglow.yaml"), func(s string) string { return s }, &l)
	if ws == nil || l.HasErrors() {
		b.Fatalf("examples/shop does not load: %v", l.Items())
	}
	syn := sim.Synthetic{Customers: 20000, Events: 100000, Days: 60, Seed: 1, Start: time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)}
	if n, err := strconv.Atoi(os.Getenv("AFTERGLOW_BENCH_EVENTS")); err == nil {
		syn.Events, syn.Customers = n, max(10, n/5)
	}
	evs := syn.Generate()
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	for _, history := range []bool{false, true} {
		b.Run(map[bool]string{false: "flows", true: "history"}[history], func(b *testing.B) {
			ctx := context.Background()
			total := 0
			var spent time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				eng, clk, err := loadtest.Engine(ctx, newStore(b), ws, syn.Start, engine.Options{History: history})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				began := time.Now()
				if err := loadtest.Intake(ctx, eng, clk, evs, 1); err != nil {
					b.Fatal(err)
				}
				spent += time.Since(began)
				total += len(evs)
			}
			b.ReportMetric(float64(total)/spent.Seconds(), "events/s")
		})
	}
}
