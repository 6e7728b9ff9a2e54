package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/reload"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/engine/unsubscribe"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

func init() { addCommand(newIngestCmd) }

type ingestOptions struct {
	config, db string
	history    bool
	batch      int
}

func newIngestCmd(c *cli) *cobra.Command {
	var o ingestOptions
	cmd := &cobra.Command{
		Use:   "ingest [--config afterglow.yaml] [--history] FILE.ndjson|-",
		Short: "Process events from an NDJSON file or standard input (backfills)",
		Long: `Stores and processes events exactly as POST /v1/events does, one CloudEvent per line, each checked
against the workspace's event catalog. A bad line (unreadable, or an event whose data does not fit
its type) stops the run with its line number and every problem of it; everything before it is
committed, and running the same file again skips what was already stored.

An event older than policies.late_events when it is processed is late: it updates its customer and
the journeys under way, and starts no journey. --history treats every event so, whatever its age:
use it for a backfill of past data.`,
		Example: `  afterglow ingest --config afterglow.yaml --history past-orders.ndjson
  gzip -dc events.ndjson.gz | afterglow ingest -`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			if o.batch <= 0 {
				return usagef("--batch must be positive")
			}
			tuneGC()
			return runIngest(c, a[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "afterglow.yaml", "the workspace's settings file")
	f.StringVar(&o.db, "db", "", "database URL (default: the settings' database, then DATABASE_URL)")
	f.BoolVar(&o.history, "history", false, "treat every event as late: update customers and journeys under way, start no journey (for past data, which must not send today)")
	f.IntVar(&o.batch, "batch", 1000, "events per transaction")
	return cmd
}

func runIngest(c *cli, file string, o ingestOptions) error {
	stderr := c.stderr
	var in io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return usageError{err}
		}
		defer f.Close()
		in = f
	}
	ws, errs := reload.Load(o.config)
	if ws == nil {
		for _, d := range errs {
			fmt.Fprintln(stderr, d.String())
		}
		return fmt.Errorf("the workspace has errors; fix them first")
	}
	// Ingesting sends nothing: the database's variables must be set, and the secret for flows that
	// write marketing email (their messages carry unsubscribe links); others may be missing.
	dbSetting, missing := dsl.Expand(ws.Settings.Database, os.LookupEnv)
	if len(missing) > 0 && o.db == "" {
		return usagef("the settings' database uses %v, which is not set", missing)
	}
	url, err := databaseURL(o.db, dbSetting)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	links, err := unsubscribeLinks(ws)
	if err != nil {
		return err
	}
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.New(stderr).Level(zerolog.WarnLevel), History: o.history,
		Unsubscribe: links})
	if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
		return err
	}
	began, shown := time.Now(), time.Now()
	var stored, dups, lines int
	var pending []event.Event
	var pendingLines []int // the line of each pending event
	ingest := func(evs []event.Event) error {
		var res engine.IngestResult
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			if res, err = eng.Ingest(ctx, evs); err == nil || !store.Retryable(err) {
				break
			}
		}
		stored += res.Stored
		dups += res.Duplicates
		return err
	}
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := ingest(pending)
		var refused *event.Refused
		if errors.As(err, &refused) && len(refused.Problems) > 0 && refused.Problems[0].Index >= 0 {
			// The engine refused the batch for its first bad event: commit what comes before it,
			// and stop at its line with all of its problems.
			bad := refused.Problems[0].Index
			if err := ingest(pending[:bad]); err != nil {
				return err
			}
			var msgs []string
			for _, p := range refused.Problems {
				if p.Index == bad {
					msgs = append(msgs, p.Error())
				}
			}
			return &event.LineError{Line: pendingLines[bad], Problem: "event " + pending[bad].ID + " does not fit: " + strings.Join(msgs, "; ")}
		}
		if err != nil {
			return err
		}
		pending, pendingLines = pending[:0], pendingLines[:0]
		if time.Since(shown) > time.Second {
			shown = time.Now()
			fmt.Fprintf(stderr, "\r%d lines, %d events stored, %d already known (%.0f/s)", lines, stored, dups, float64(stored+dups)/time.Since(began).Seconds())
		}
		return nil
	}
	err = event.ReadNDJSON(in, func(line int, e event.Event) error {
		lines = line
		if ps := e.CheckTime(eng.Now()); len(ps) > 0 {
			// Refused here, with its line, rather than by the engine with the whole batch.
			return &event.LineError{Line: line, Problem: "invalid event " + e.ID + ": " + ps[0].Error()}
		}
		pending = append(pending, e)
		pendingLines = append(pendingLines, line)
		if len(pending) >= o.batch {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	fmt.Fprintf(stderr, "\r%d lines, %d events stored, %d already known, in %s\n", lines, stored, dups, time.Since(began).Round(time.Millisecond))
	return err
}

// unsubscribeLinks builds the unsubscribe links of the messages an ingest writes, as afterglow run
// does: they are written now and sent later. Flows that write marketing email need the secret.
func unsubscribeLinks(ws *dsl.Workspace) (func(customerID, channel, messageID string) string, error) {
	env := func(v string) string { s, _ := dsl.Expand(v, os.LookupEnv); return s }
	secret := env(ws.Settings.Secret)
	if secret == "" {
		if flow, step, channel, ok := ws.MarketingEmail(); ok {
			return nil, fmt.Errorf("%s: %s", ws.Settings.File, dsl.NoSecretMessage(flow, step, channel))
		}
	}
	return unsubscribe.Links(env(ws.Settings.PublicURL), env(ws.Settings.Listen), secret), nil
}

// databaseURL is the database a command works on: --db, else the settings' database, else
// DATABASE_URL.
func databaseURL(flag, setting string) (string, error) {
	url := firstNonEmpty(flag, setting, os.Getenv("DATABASE_URL"))
	if url == "" {
		return "", usagef("no database: give --db URL, `database:` in the settings (--config), or DATABASE_URL")
	}
	return url, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
