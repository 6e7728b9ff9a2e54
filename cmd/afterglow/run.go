package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/server"
	"github.com/rs/zerolog"
)

func init() {
	register("run", "run the engine: ingest, journeys, timers, delivery, hot reload", runRun)
}

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "afterglow.yaml", "the workspace's settings file")
	logFormat := fs.String("log-format", "auto", "logs: json, console, or auto (console on a terminal, json otherwise)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: afterglow run [--config afterglow.yaml]")
		fmt.Fprintln(stderr, "\nRuns the engine against the database named in the settings (or DATABASE_URL). SIGTERM and")
		fmt.Fprintln(stderr, "SIGINT stop it after the work in hand; SIGHUP reloads the workspace.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := oneOf("log-format", *logFormat, "auto", "json", "console"); err != nil {
		fmt.Fprintln(stderr, "afterglow run:", err)
		return 2
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "afterglow run:", err)
		return 2
	}
	if _, err := os.Stat(*config); err != nil {
		fmt.Fprintf(stderr, "afterglow run: %s: %v (give the workspace's settings with --config)\n", *config, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// SIGHUP is taken before the start-up, which may wait for the database for minutes: left to
	// its default, a reload asked for meanwhile would end the process. One asked for during the
	// start-up reloads once the server runs.
	hup := make(chan struct{}, 1)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	defer signal.Stop(sig)
	go func() {
		for range sig {
			select {
			case hup <- struct{}{}:
			default:
			}
		}
	}()
	srv, err := server.New(ctx, server.Options{
		SettingsFile: *config, Log: log,
		OpenStore: func(ctx context.Context, url string) (store.Store, error) {
			return pgstore.Open(ctx, url, pgstore.Options{})
		},
	})
	if err != nil {
		log.Error().Err(err).Msg("afterglow cannot start")
		return 1
	}
	if err := srv.Run(ctx, hup); err != nil {
		log.Error().Err(err).Msg("afterglow stopped with an error")
		return 1
	}
	return 0
}

// newLogger writes JSON lines, or readable lines for a person at a terminal.
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lv, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "console"
			}
		}
	}
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05"}
	}
	return zerolog.New(w).Level(lv).With().Timestamp().Logger(), nil
}
