package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/importer/shopgen"
	"github.com/afterglowhq/afterglow/sim"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

func init() { addCommand(newBenchCmd) }

// benchOptions are the flags every benchmark shares.
type benchOptions struct {
	customers, events, days int
	seed                    uint64
	cpuprofile, memprofile  string
}

func (o *benchOptions) synthetic() sim.Synthetic {
	return sim.Synthetic{Customers: o.customers, Events: o.events, Days: o.days, Seed: o.seed,
		Start: time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)}
}

func newBenchCmd(c *cli) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the engine on synthetic traffic",
		Long: `Measures the engine on synthetic traffic: the same seed gives the same customers and events, so
runs compare. simulate runs in memory; ingest, tick and dispatch run the engine's code on a
fresh schema of a PostgreSQL database, dropped afterwards.`,
		Example: `  afterglow bench simulate --customers 10000 --events 100000 flows
  afterglow bench events --customers 1000 --events 10000 > events.ndjson
  afterglow bench ingest --db $DATABASE_URL --flows examples/shop --format json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return exitStatus(2)
		},
	}
	f := cmd.PersistentFlags()
	f.IntVar(&o.customers, "customers", 10000, "customers")
	f.IntVar(&o.events, "events", 100000, "events")
	f.IntVar(&o.days, "days", 90, "days the events span")
	f.Uint64Var(&o.seed, "seed", 1, "random seed (the same seed gives the same events)")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile to this file")
	f.StringVar(&o.memprofile, "memprofile", "", "write a heap profile at the end to this file")
	cmd.AddCommand(&cobra.Command{
		Use:     "events",
		Short:   "Write synthetic events as NDJSON",
		Example: `  afterglow bench events --customers 10000 --events 100000 --days 90 > big.ndjson`,
		Args:    args(cobra.NoArgs),
		RunE: func(_ *cobra.Command, _ []string) error {
			w := bufio.NewWriter(c.stdout)
			enc := json.NewEncoder(w)
			for _, e := range o.synthetic().Generate() {
				if err := enc.Encode(e); err != nil {
					return err
				}
			}
			return w.Flush()
		},
	}, &cobra.Command{
		Use:     "simulate WORKSPACE",
		Short:   "Run a workspace over synthetic events in memory; report time and memory",
		Example: `  afterglow bench simulate --customers 10000 --events 100000 --days 90 flows`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			return benchSimulate(c, o, a[0])
		},
	}, newBenchShopifyExportCmd(c, o))
	cmd.AddCommand(newBenchDBCmds(c, o)...)
	return cmd
}

// newBenchShopifyExportCmd writes a made-up Shopify shop's exports, for measuring the import.
func newBenchShopifyExportCmd(c *cli, o *benchOptions) *cobra.Command {
	var rows int
	cmd := &cobra.Command{
		Use:   "shopify-export --rows N DIR",
		Short: "Write a made-up Shopify shop's orders_export.csv and customers_export.csv into DIR",
		Long: `Writes the exports of a Shopify shop like the example one (a year of a skincare shop in Lima, with
the genuine files' columns and quirks) with about N order rows, for measuring afterglow import
shopify. The same seed gives the same files.`,
		Example: `  afterglow bench shopify-export --rows 1000000 /tmp/big && afterglow import shopify --orders /tmp/big/orders_export.csv --customers /tmp/big/customers_export.csv --db $DATABASE_URL --shop big.myshopify.com`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			if rows <= 0 {
				return usagef("--rows must be positive")
			}
			return benchShopifyExport(c, o.seed, rows, a[0])
		},
	}
	cmd.Flags().IntVar(&rows, "rows", 100000, "order rows to write (about 1.5 a order)")
	return cmd
}

func benchShopifyExport(c *cli, seed uint64, rows int, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError{err}
	}
	// About 2.4 rows a customer over a year: a few more customers than that, and the file stops at N.
	shop := shopgen.Tienda(seed, time.Date(2024, 10, 1, 0, 0, 0, 0, time.FixedZone("-05", -5*3600)), 12, rows*10/22)
	shop.MaxRows = rows
	orders, err := os.Create(filepath.Join(dir, "orders_export.csv"))
	if err != nil {
		return err
	}
	defer orders.Close()
	customers, err := os.Create(filepath.Join(dir, "customers_export.csv"))
	if err != nil {
		return err
	}
	defer customers.Close()
	st, err := shop.Write(orders, customers)
	if err != nil {
		return err
	}
	if err := orders.Close(); err != nil {
		return err
	}
	if err := customers.Close(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%d orders in %d rows (%s to %s), %d customers, in %s\n", st.Orders, st.Rows,
		st.First.Format("2006-01-02"), st.Last.Format("2006-01-02"), st.Customers, dir)
	return nil
}

func benchSimulate(c *cli, o *benchOptions, dir string) error {
	ws, err := loadWorkspace(c, dir)
	if err != nil {
		return err
	}
	syn := o.synthetic()
	evs := syn.Generate()
	runtime.GC()
	ctx := context.Background()
	shards := make([]sim.Shard, runtime.GOMAXPROCS(0))
	for i := range shards {
		clk := clock.NewVirtual(syn.Start)
		st := memstore.NewLean()
		eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), EventTime: true, Preview: true})
		if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
			return err
		}
		shards[i] = sim.Shard{Engine: eng, Clock: clk, Store: st}
	}
	until := syn.Start.Add(time.Duration(syn.Days) * 24 * time.Hour)
	took, err := o.profiled(func() error { return sim.RunSharded(ctx, shards, evs, until, nil) })
	if err != nil {
		return err
	}
	ms, _ := sim.Messages(ctx, shards)
	js, _ := sim.Journeys(ctx, shards)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Fprintf(c.stdout, "simulated %d customers, %d events over %d days: %d journeys, %d messages\n", syn.Customers, len(evs), syn.Days, len(js), len(ms))
	fmt.Fprintf(c.stdout, "wall time %s (%.0f events/s), peak memory (max RSS) %d MiB\n", took.Round(time.Millisecond), float64(len(evs))/took.Seconds(), ru.Maxrss/1024)
	return nil
}
