package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"syscall"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/loadtest"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/spf13/cobra"
)

// dbBenchOptions are the flags of the benchmarks that run on PostgreSQL.
type dbBenchOptions struct {
	db, flows, format string
	dispatchers       int
	ingesters         int
	tickers           int
}

// dbBenchResult is what a benchmark on PostgreSQL prints; its JSON form is a contract.
type dbBenchResult struct {
	What      string  `json:"what"`
	Count     int     `json:"count"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// cpu is the process's own CPU over the measured part, which the text line gives beside the
	// wall time: on a machine the database shares, the two together say which side is busy.
	cpu processCPU
}

// newBenchDBCmds are bench ingest, tick and dispatch: the engine's code on a schema of their own
// in a real database, created and migrated before and dropped after.
func newBenchDBCmds(c *cli, o *benchOptions) []*cobra.Command {
	d := &dbBenchOptions{}
	mk := func(use, short, long, example string, run func(ctx context.Context, st *pgstore.Store) (dbBenchResult, error)) *cobra.Command {
		cmd := &cobra.Command{
			Use: use, Short: short, Long: long, Example: example,
			Args: args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				if d.format != "text" && d.format != "json" {
					return usagef("--format %q: use text or json", d.format)
				}
				if d.flows != "" && cmd.Name() != "ingest" {
					return usagef("--flows: only bench ingest runs a workspace of your choice")
				}
				if o.customers <= 0 || o.events <= 0 {
					return usagef("--customers and --events must be positive")
				}
				url := firstNonEmpty(d.db, os.Getenv("DATABASE_URL"))
				if url == "" {
					return usagef("no database: use --db or DATABASE_URL (the benchmark works on a schema of its own and drops it)")
				}
				tuneGC() // as afterglow run does
				// Ctrl-C or SIGTERM stops the benchmark and still drops its schema, which would
				// otherwise stay in the database with everything the run wrote.
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				st, drop, err := pgstore.OpenFresh(ctx, url, "afterglow_bench_", pgstore.Options{})
				if err != nil {
					return fmt.Errorf("--db: %w", err)
				}
				defer func() { _ = drop() }()
				r, err := run(ctx, st)
				if err != nil {
					st.Close()
					if ctx.Err() != nil {
						return errors.New("interrupted: nothing measured; the benchmark's schema is dropped")
					}
					return err
				}
				r.PerSecond = float64(r.Count) / r.Seconds
				if d.format == "json" {
					return json.NewEncoder(c.stdout).Encode(r)
				}
				fmt.Fprintf(c.stdout, "%s: %d in %.3f s, %.0f/s; this process's CPU %.1f s (%.1f user, %.1f system)\n",
					r.What, r.Count, r.Seconds, r.PerSecond, (r.cpu.user + r.cpu.system).Seconds(), r.cpu.user.Seconds(), r.cpu.system.Seconds())
				return nil
			},
		}
		f := cmd.Flags()
		f.StringVar(&d.db, "db", "", "database URL (default: DATABASE_URL); the benchmark uses a fresh schema and drops it")
		f.StringVar(&d.format, "format", "text", "text or json ({\"what\", \"count\", \"seconds\", \"per_second\"})")
		return cmd
	}
	ingest := mk("ingest --db URL [--flows DIR] [--events N] [--customers N] [--days N] [--ingesters N] [--format text|json]",
		"Measure events/s through Engine.Ingest on PostgreSQL",
		`Feeds --events events to the engine in transactions of 1,000, through the batcher afterglow run
takes its requests with, --ingesters transactions at once as afterglow run commits them, and
prints events/s. Without --flows: new and returning customers' orders under three
flows that each react to an order. With --flows: the workspace's flows over synthetic traffic
(orders, deliveries, reviews, sign-ups) of --customers customers over --days, in time order.
Timers are left for later: this is the event path alone.`,
		`  afterglow bench ingest --db $DATABASE_URL --events 100000
  afterglow bench ingest --db $DATABASE_URL --flows examples/shop --customers 20000 --events 100000 --days 60`,
		func(ctx context.Context, st *pgstore.Store) (dbBenchResult, error) {
			r := dbBenchResult{What: "events ingested", Count: o.events}
			ws, err := c.benchWorkspace(d.flows)
			if err != nil {
				return r, err
			}
			evs := loadtest.Orders("c", o.events, o.seed)
			start := loadtest.T0
			if d.flows != "" {
				syn := o.synthetic()
				evs = syn.Generate()
				sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
				start = syn.Start
				r.Count = len(evs)
			}
			eng, clk, err := loadtest.Engine(ctx, st, ws, start, engine.Options{})
			if err != nil {
				return r, err
			}
			if d.ingesters <= 0 {
				return r, usagef("--ingesters must be positive")
			}
			return r, o.timed(&r, func() error { return loadtest.Intake(ctx, eng, clk, evs, d.ingesters) })
		})
	tick := mk("tick --db URL [--customers N] [--tickers N] [--format text|json]",
		"Measure due journeys/s advanced by Engine.Tick on PostgreSQL",
		`Gives --customers customers one order each under three flows, moves the clock four days on,
when each has one journey due (a three-day wait) and one still waiting (a ten-day one), and
measures Engine.Tick advancing the due ones in its batches, --tickers at once, until none is due.`,
		`  afterglow bench tick --db $DATABASE_URL --customers 10000`,
		func(ctx context.Context, st *pgstore.Store) (dbBenchResult, error) {
			r := dbBenchResult{What: "due journeys advanced"}
			ws, err := c.benchWorkspace("")
			if err != nil {
				return r, err
			}
			eng, clk, err := loadtest.Engine(ctx, st, ws, loadtest.T0, engine.Options{})
			if err != nil {
				return r, err
			}
			if err := loadtest.PrepareDue(ctx, eng, clk, o.customers); err != nil {
				return r, err
			}
			err = o.timed(&r, func() error {
				r.Count, err = loadtest.TickAll(ctx, eng, d.tickers)
				return err
			})
			if err == nil && r.Count != o.customers {
				err = fmt.Errorf("advanced %d journeys, want %d", r.Count, o.customers)
			}
			return r, err
		})
	dispatchCmd := mk("dispatch --db URL [--events N] [--dispatchers N] [--format text|json]",
		"Measure messages/s delivered to a local webhook sink from PostgreSQL",
		`Writes --events due webhook messages and measures dispatchers delivering them to a local HTTP
sink that answers 200 at once, as a fast CRM would: lease, POST with its signature and
Idempotency-Key, record the attempt.`,
		`  afterglow bench dispatch --db $DATABASE_URL --events 20000 --dispatchers 2`,
		func(ctx context.Context, st *pgstore.Store) (dbBenchResult, error) {
			r := dbBenchResult{What: "messages dispatched"}
			if d.dispatchers <= 0 {
				return r, usagef("--dispatchers must be positive")
			}
			if err := loadtest.WriteDueWebhooks(ctx, st, o.events); err != nil {
				return r, err
			}
			sink := loadtest.NewSink()
			defer sink.Close()
			err := o.timed(&r, func() error { return loadtest.Dispatch(ctx, st, sink.URL, d.dispatchers) })
			r.Count = int(sink.Received.Load())
			if err == nil && r.Count != o.events {
				err = fmt.Errorf("the sink received %d messages, want %d", r.Count, o.events)
			}
			return r, err
		})
	dispatchCmd.Flags().IntVar(&d.dispatchers, "dispatchers", 2, "dispatchers at once, each with 32 sends in flight")
	run := dsl.DefaultSettings("").Workers // as afterglow run works unless its settings say otherwise
	tick.Flags().IntVar(&d.tickers, "tickers", run.Timers, "transactions at once, each claiming its own due customers, as afterglow run advances them (workers.timers)")
	ingest.Flags().IntVar(&d.ingesters, "ingesters", run.Ingest, "transactions at once, as afterglow run commits them (workers.ingest; 1: one after the other)")
	ingest.Flags().StringVar(&d.flows, "flows", "", "a workspace folder whose flows to run (default: three flows per order)")
	for _, cmd := range []*cobra.Command{tick, dispatchCmd} {
		cmd.Flags().StringVar(&d.flows, "flows", "", "not used: the timers and dispatch run their own flows")
		_ = cmd.Flags().MarkHidden("flows")
	}
	return []*cobra.Command{ingest, tick, dispatchCmd}
}

// benchWorkspace loads dir, or the three flows per order when dir is empty.
func (c *cli) benchWorkspace(dir string) (ws *dsl.Workspace, err error) {
	if dir != "" {
		return loadWorkspace(c, dir)
	}
	tmp, err := os.MkdirTemp("", "afterglow-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	return loadtest.LoadFiles(tmp, loadtest.OrderFlows)
}

// timed runs fn with the CPU profile on, if asked for, and records its wall time in r.
func (o *benchOptions) timed(r *dbBenchResult, fn func() error) error {
	before := cpuNow()
	took, err := o.profiled(fn)
	r.Seconds, r.cpu = took.Seconds(), cpuNow().minus(before)
	return err
}

// processCPU is CPU time used by this process.
type processCPU struct{ user, system time.Duration }

func cpuNow() processCPU {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return processCPU{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())}
}

func (p processCPU) minus(q processCPU) processCPU {
	return processCPU{p.user - q.user, p.system - q.system}
}

// profiled runs fn with the CPU profile on, if asked for, writes the heap profile after it, if
// asked for, and says how long fn took.
func (o *benchOptions) profiled(fn func() error) (time.Duration, error) {
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return 0, usageError{err}
		}
		defer f.Close()
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	began := time.Now()
	err := fn()
	took := time.Since(began)
	if o.memprofile != "" {
		if f, err := os.Create(o.memprofile); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	return took, err
}
