package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/server"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

func init() { addCommand(newRunCmd) }

type runOptions struct {
	config, logFormat, logLevel string
}

func newRunCmd(c *cli) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [--config afterglow.yaml]",
		Short: "Run the engine: ingest, journeys, timers, delivery, hot reload",
		Long: `Runs the engine against the database named in the settings (or DATABASE_URL): webhooks and events
in, journeys, timers, delivery through the channels' connectors, and hot reload of the workspace.
SIGTERM and SIGINT stop it after the work in hand; SIGHUP reloads the workspace.`,
		Example: `  afterglow migrate --config afterglow.yaml && afterglow run --config afterglow.yaml
  afterglow run --config /etc/afterglow/afterglow.yaml --log-format json --log-level debug`,
		Args: args(cobra.NoArgs),
		RunE: func(_ *cobra.Command, _ []string) error {
			if err := oneOf("log-format", o.logFormat, "auto", "json", "console"); err != nil {
				return err
			}
			tuneGC()
			return runRun(c, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "afterglow.yaml", "the workspace's settings file")
	f.StringVar(&o.logFormat, "log-format", "auto", "logs: json, console, or auto (console on a terminal, json otherwise)")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

func runRun(c *cli, o runOptions) error {
	log, err := newLogger(c.stderr, o.logFormat, o.logLevel)
	if err != nil {
		return usageError{err}
	}
	if _, err := os.Stat(o.config); err != nil {
		return usagef("%s: %v (give the workspace's settings with --config)", o.config, err)
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
		SettingsFile: o.config, Log: log,
		OpenStore: func(ctx context.Context, url string) (store.Store, error) {
			return pgstore.Open(ctx, url, pgstore.Options{})
		},
	})
	if err != nil {
		log.Error().Err(err).Msg("afterglow cannot start")
		return exitStatus(1)
	}
	if err := srv.Run(ctx, hup); err != nil {
		log.Error().Err(err).Msg("afterglow stopped with an error")
		return exitStatus(1)
	}
	return nil
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
