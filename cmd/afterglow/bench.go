package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
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
)

func init() {
	register("bench", "measure the engine on synthetic traffic (events, simulate)", runBench)
}

func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: afterglow bench events|simulate [flags]\n\n  events    write synthetic events as NDJSON\n  simulate  run a workspace over synthetic events in memory and report time and memory")
		return 2
	}
	fs := flag.NewFlagSet("bench "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	customers := fs.Int("customers", 10000, "customers")
	events := fs.Int("events", 100000, "events")
	days := fs.Int("days", 90, "days the events span")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same events)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	memprofile := fs.String("memprofile", "", "write a heap profile at the end to this file")
	if err := fs.Parse(reorder(args[1:])); err != nil {
		return 2
	}
	syn := sim.Synthetic{Customers: *customers, Events: *events, Days: *days, Seed: *seed,
		Start: time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)}
	switch args[0] {
	case "events":
		w := bufio.NewWriter(stdout)
		enc := json.NewEncoder(w)
		for _, e := range syn.Generate() {
			if err := enc.Encode(e); err != nil {
				fmt.Fprintln(stderr, "afterglow bench:", err)
				return 1
			}
		}
		if err := w.Flush(); err != nil {
			return 1
		}
		return 0
	case "simulate":
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "Usage: afterglow bench simulate [--customers N] [--events N] [--days N] WORKSPACE")
			return 2
		}
		ws, code := loadWorkspace(fs.Arg(0), stdout, stderr)
		if ws == nil {
			return code
		}
		evs := syn.Generate()
		runtime.GC()
		ctx := context.Background()
		shards := make([]sim.Shard, runtime.GOMAXPROCS(0))
		for i := range shards {
			clk := clock.NewVirtual(syn.Start)
			st := memstore.NewLean()
			eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), EventTime: true, Preview: true})
			if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			shards[i] = sim.Shard{Engine: eng, Clock: clk, Store: st}
		}
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				fmt.Fprintln(stderr, "afterglow bench:", err)
				return 2
			}
			defer f.Close()
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		began := time.Now()
		until := syn.Start.Add(time.Duration(syn.Days) * 24 * time.Hour)
		if err := sim.RunSharded(ctx, shards, evs, until, nil); err != nil {
			fmt.Fprintln(stderr, "afterglow bench:", err)
			return 1
		}
		took := time.Since(began)
		if *memprofile != "" {
			if f, err := os.Create(*memprofile); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		ms, _ := sim.Messages(ctx, shards)
		js, _ := sim.Journeys(ctx, shards)
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		fmt.Fprintf(stdout, "simulated %d customers, %d events over %d days: %d journeys, %d messages\n", syn.Customers, len(evs), syn.Days, len(js), len(ms))
		fmt.Fprintf(stdout, "wall time %s (%.0f events/s), peak memory (max RSS) %d MiB\n", took.Round(time.Millisecond), float64(len(evs))/took.Seconds(), ru.Maxrss/1024)
		return 0
	}
	fmt.Fprintf(stderr, "afterglow bench: unknown benchmark %q (events or simulate)\n", args[0])
	return 2
}
