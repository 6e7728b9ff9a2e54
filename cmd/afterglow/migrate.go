package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/spf13/cobra"
)

func init() { addCommand(newMigrateCmd) }

func newMigrateCmd(c *cli) *cobra.Command {
	var config, db, schema string
	cmd := &cobra.Command{
		Use:   "migrate [--config afterglow.yaml | --db URL] [--schema NAME]",
		Short: "Create or upgrade the PostgreSQL schema",
		Long: `Creates or upgrades the database schema; running it again does nothing. The database is --db,
else ` + "`database:`" + ` of the settings file, else DATABASE_URL. Several processes may run it at once:
they take turns.

Exit status: 0 done, 1 failed, 2 usage.`,
		Example: `  afterglow migrate --config examples/shop/afterglow.yaml
  afterglow migrate --db postgres://afterglow@db:5432/afterglow --schema shop1`,
		Args: args(cobra.NoArgs),
		RunE: func(_ *cobra.Command, _ []string) error {
			return runMigrate(c, config, db, schema)
		},
	}
	f := cmd.Flags()
	f.StringVar(&config, "config", "", "the workspace's settings file, whose `database:` is used (default afterglow.yaml when it exists)")
	f.StringVar(&db, "db", "", "the database URL (instead of the settings file or DATABASE_URL)")
	f.StringVar(&schema, "schema", "", "a PostgreSQL schema to keep the tables in (default: the server's search_path)")
	return cmd
}

func runMigrate(c *cli, config, db, schema string) error {
	url, from, err := migrateTarget(db, config)
	if err != nil {
		return usageError{err}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	pool, err := pgstore.Connect(ctx, url, pgstore.Options{Schema: schema, MaxConns: 2})
	if err != nil {
		return fmt.Errorf("%v (the database came from %s)", err, from)
	}
	defer pool.Close()
	applied, err := pgstore.Migrate(ctx, pool)
	for _, m := range applied {
		fmt.Fprintf(c.stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(c.stdout, "database is up to date (schema version %d)\n", pgstore.LatestVersion())
	} else {
		fmt.Fprintf(c.stdout, "database schema is now at version %d\n", pgstore.LatestVersion())
	}
	return nil
}

// migrateTarget picks the database: --db, else the settings file's `database:`, else
// DATABASE_URL. It returns where the URL came from, for error messages.
func migrateTarget(db, config string) (url, from string, err error) {
	if db != "" {
		return db, "--db", nil
	}
	explicit := config != ""
	if !explicit {
		config = "afterglow.yaml"
	}
	src, err := wsfile.Read(config, filepath.Dir(config))
	switch {
	case err == nil:
		url, err := settingsDatabase(config, src)
		if err != nil || url != "" || explicit {
			if err == nil && url == "" {
				err = fmt.Errorf("%s has no `database:`: add one (database: ${DATABASE_URL}) or give --db", config)
			}
			return url, config, err
		}
	case explicit || !errors.Is(err, os.ErrNotExist):
		return "", "", fmt.Errorf("--config: %w", err)
	}
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, "DATABASE_URL", nil
	}
	return "", "", fmt.Errorf("no database given: use --db URL, a settings file with `database:`, or DATABASE_URL")
}

// settingsDatabase reads `database:` from a settings file, with its ${VAR} references resolved.
// Only the variables it names must be set: migrating needs no connector secrets.
func settingsDatabase(file string, src []byte) (string, error) {
	var l diag.List
	s := dsl.ParseSettings(file, src, &l)
	// Problems elsewhere in the file (a channel, a policy) are for afterglow validate: they do
	// not stop the schema from being created.
	if s.Database == "" && l.HasErrors() {
		var msgs []string
		for _, d := range l.Items() {
			if d.Severity == diag.Error {
				msgs = append(msgs, d.String())
			}
		}
		return "", fmt.Errorf("%s has errors (run afterglow validate):\n%s", file, strings.Join(msgs, "\n"))
	}
	only := *s
	only.Channels = nil
	only.Listen, only.PublicURL, only.Secret, only.Sources = "", "", "", nil
	expanded, err := only.Expand(os.LookupEnv)
	if err != nil {
		return "", err
	}
	return expanded.Database, nil
}
