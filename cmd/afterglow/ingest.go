package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/reload"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
)

func init() {
	register("ingest", "process events from an NDJSON file or standard input (backfills)", runIngest)
}

func runIngest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "afterglow.yaml", "the workspace's settings file")
	db := fs.String("db", "", "database URL (default: the settings' database, then DATABASE_URL)")
	history := fs.Bool("history", false, "update customers only: enter no flow (for past orders, which must not send today)")
	batch := fs.Int("batch", 1000, "events per transaction")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: afterglow ingest [--config afterglow.yaml] [--history] FILE.ndjson|-")
		fmt.Fprintln(stderr, "\nStores and processes events exactly as POST /v1/events does, one CloudEvent per line. A bad")
		fmt.Fprintln(stderr, "line stops the run with its line number; everything before it is committed, and running")
		fmt.Fprintln(stderr, "the same file again skips what was already stored.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorder(args)); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *batch <= 0 {
		fs.Usage()
		return 2
	}
	var in io.Reader = os.Stdin
	if p := fs.Arg(0); p != "-" {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(stderr, "afterglow ingest:", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	ws, errs := reload.Load(*config)
	if ws == nil {
		for _, d := range errs {
			fmt.Fprintln(stderr, d.String())
		}
		fmt.Fprintln(stderr, "afterglow ingest: the workspace has errors; fix them first")
		return 1
	}
	// Ingesting sends nothing, so only the database needs its variables.
	dbSetting, missing := dsl.Expand(ws.Settings.Database, os.LookupEnv)
	if len(missing) > 0 && *db == "" {
		fmt.Fprintf(stderr, "afterglow ingest: the settings' database uses %v, which is not set\n", missing)
		return 2
	}
	url := firstNonEmpty(*db, dbSetting, os.Getenv("DATABASE_URL"))
	if url == "" {
		fmt.Fprintln(stderr, "afterglow ingest: no database: use --db, `database:` in the settings, or DATABASE_URL")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "afterglow ingest:", err)
		return 1
	}
	defer st.Close()
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.New(stderr).Level(zerolog.WarnLevel), History: *history})
	if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
		fmt.Fprintln(stderr, "afterglow ingest:", err)
		return 1
	}
	began, shown := time.Now(), time.Now()
	var stored, dups, lines int
	var pending []event.Event
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		var res engine.IngestResult
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			if res, err = eng.Ingest(ctx, pending); err == nil || !store.Retryable(err) {
				break
			}
		}
		if err != nil {
			return err
		}
		stored += res.Stored
		dups += res.Duplicates
		pending = pending[:0]
		if time.Since(shown) > time.Second {
			shown = time.Now()
			fmt.Fprintf(stderr, "\r%d lines, %d events stored, %d already known (%.0f/s)", lines, stored, dups, float64(stored+dups)/time.Since(began).Seconds())
		}
		return nil
	}
	err = event.ReadNDJSON(in, func(line int, e event.Event) error {
		lines = line
		pending = append(pending, e)
		if len(pending) >= *batch {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	fmt.Fprintf(stderr, "\r%d lines, %d events stored, %d already known, in %s\n", lines, stored, dups, time.Since(began).Round(time.Millisecond))
	if err != nil {
		fmt.Fprintln(stderr, "afterglow ingest:", err)
		return 1
	}
	return 0
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
