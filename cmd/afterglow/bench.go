package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
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
runs compare.`,
		Example: `  afterglow bench simulate --customers 10000 --events 100000 flows
  afterglow bench events --customers 1000 --events 10000 > events.ndjson`,
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
	})
	return cmd
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
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return usageError{err}
		}
		defer f.Close()
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	began := time.Now()
	until := syn.Start.Add(time.Duration(syn.Days) * 24 * time.Hour)
	if err := sim.RunSharded(ctx, shards, evs, until, nil); err != nil {
		return err
	}
	took := time.Since(began)
	if o.memprofile != "" {
		if f, err := os.Create(o.memprofile); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	ms, _ := sim.Messages(ctx, shards)
	js, _ := sim.Journeys(ctx, shards)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Fprintf(c.stdout, "simulated %d customers, %d events over %d days: %d journeys, %d messages\n", syn.Customers, len(evs), syn.Days, len(js), len(ms))
	fmt.Fprintf(c.stdout, "wall time %s (%.0f events/s), peak memory (max RSS) %d MiB\n", took.Round(time.Millisecond), float64(len(evs))/took.Seconds(), ru.Maxrss/1024)
	return nil
}
