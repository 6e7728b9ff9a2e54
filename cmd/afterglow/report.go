package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/insight"
	"github.com/afterglowhq/afterglow/insight/page"
	"github.com/afterglowhq/afterglow/insight/pgsource"
)

func init() { addCommand(newReportCmd) }

// reportOptions are the flags of `afterglow report`.
type reportOptions struct {
	config, db, schema string
	from, to, window   string
	format, out        string
	timezone, currency string
	configSet          bool
	now                func() time.Time
}

func newReportCmd(c *cli) *cobra.Command {
	o := reportOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "report [--config afterglow.yaml | --db URL] [--from 2025-01] [--to 2025-12] [--window 14d] [--format text|json|html] [--out FILE]",
		Short: "Answer the Monday question: how many of each month's buyers had bought before, and what each flow adds",
		Long: `Reports, month by month, the shop's buyers and how many had bought before (the repeat rate), orders
and revenue, the time customers take to order a second time, each month's new customers followed
month by month (retention and lifetime value), each flow's conversions against its holdout with
the lift's 95% interval, and the NPS from survey answers. docs/report.md defines every figure.

Months are in the settings' timezone and money in their currency; orders in other currencies are
shown apart. With --db alone, months are in UTC and money in the currency of most orders, unless
--timezone and --currency say otherwise. The default period is the twelve months up to this one.

--format text opens with the answer for the period's last month; json is a contract for other
tools; html is one page with charts, which needs nothing else to be viewed.

Exit status: 0 done, 1 failed, 2 usage.`,
		Example: `  afterglow report --config afterglow.yaml
  afterglow report --db postgres://afterglow@db/afterglow --from 2025-01 --to 2025-06 --format json
  afterglow report --format html --out report.html`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOf("format", o.format, "text", "json", "html"); err != nil {
				return err
			}
			o.configSet = cmd.Flags().Changed("config")
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return runReport(ctx, c, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "afterglow.yaml", "the workspace's settings file: its database, timezone and currency")
	f.StringVar(&o.db, "db", "", "database URL (default: the settings' database, then DATABASE_URL)")
	f.StringVar(&o.schema, "schema", "", "the PostgreSQL schema the tables are in (default: the server's search_path)")
	f.StringVar(&o.from, "from", "", "first month, like 2025-01 (default: eleven months before --to)")
	f.StringVar(&o.to, "to", "", "last month, like 2025-12 (default: this month)")
	f.StringVar(&o.window, "window", "14d", "how soon after entering a flow without a goal an order counts as its conversion")
	f.StringVar(&o.format, "format", "text", "output: text, json or html")
	f.StringVar(&o.out, "out", "", "write to this file instead of the standard output")
	f.StringVar(&o.timezone, "timezone", "", "the months' time zone, like America/Lima (default: the settings' timezone, else UTC)")
	f.StringVar(&o.currency, "currency", "", "the currency revenue is summed in, like PEN (default: the settings' currency, else that of most orders)")
	return cmd
}

// runReport computes the report on the database and writes it.
func runReport(ctx context.Context, c *cli, o reportOptions) error {
	settings, err := reportSettings(o.config, o.configSet)
	if err != nil {
		return err
	}
	url, err := databaseURL(o.db, settings.Database)
	if err != nil {
		return err
	}
	window, err := timespec.ParseCompound(o.window)
	if err != nil || window <= 0 {
		return usagef("--window %q: give a duration like 14d or 36h", o.window)
	}
	loc := settings.Location
	if o.timezone != "" {
		if loc, err = timespec.LoadLocation(o.timezone); err != nil {
			return usagef("--timezone: %v", err)
		}
	}
	q, err := reportQuery(o, loc, window)
	if err != nil {
		return err
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{Schema: o.schema, MaxConns: 6})
	if err != nil {
		return err
	}
	defer st.Close()
	src := pgsource.New(st.Pool())
	currency := firstNonEmpty(strings.ToUpper(o.currency), settings.Currency)
	var notes []string
	if settings.File == "" && o.timezone == "" {
		notes = append(notes, "months are in UTC (give --timezone, or --config with `timezone:`)")
	}
	if currency == "" {
		if currency, err = src.MainCurrency(ctx); err != nil {
			return err
		}
		if currency == "" {
			currency = "USD"
			notes = append(notes, "no orders yet; money would be in USD (give --currency, or `currency:` in the settings)")
		} else {
			notes = append(notes, "money is in "+currency+", the currency of most orders (give --currency, or `currency:` in the settings)")
		}
	}
	for _, n := range notes {
		fmt.Fprintln(c.stderr, "note:", n)
	}
	q.Currency = currency
	r, err := insight.Compute(ctx, src, q)
	if err != nil {
		return err
	}
	return writeReport(c, r, o.format, o.out)
}

// reportQuery reads the period: --to defaults to this month, --from to eleven months before --to.
// The currency, which may have to be read from the database, is left to the caller.
func reportQuery(o reportOptions, loc *time.Location, window time.Duration) (insight.Query, error) {
	from, to, err := insight.ParsePeriod(o.from, o.to, o.now(), loc)
	if err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "from:") || strings.HasPrefix(msg, "to:") {
			return insight.Query{}, usagef("--%s", msg) // the flag it came from
		}
		return insight.Query{}, usageError{err}
	}
	q := insight.Query{From: from, To: to, Location: loc, Currency: "-", Window: window}
	if err := q.Check(); err != nil {
		return q, usageError{err}
	}
	q.Currency = ""
	return q, nil
}

// writeReport writes a report in a format, to a file (made whole or not at all) or the standard output.
func writeReport(c *cli, r *insight.Report, format, out string) error {
	write := func(w io.Writer) error {
		switch format {
		case "json":
			return r.WriteJSON(w)
		case "html":
			return page.Render(w, r, page.Options{})
		}
		return r.WriteText(w)
	}
	if out == "" {
		return write(c.stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".report-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(c.stderr, "report written to %s\n", out)
	return nil
}

// reportSettings reads what a report needs from the settings file: the database, the time zone and
// the currency, with their ${VAR} resolved. Without a settings file (none given and none here),
// it returns the defaults with no File.
func reportSettings(config string, given bool) (*dsl.Settings, error) {
	src, err := wsfile.Read(config, filepath.Dir(config))
	if err != nil {
		if !given && errors.Is(err, os.ErrNotExist) {
			s := dsl.DefaultSettings(".")
			return s, nil
		}
		return nil, usagef("--config: %v", err)
	}
	var l diag.List
	s := dsl.ParseSettings(config, src, &l)
	if l.HasErrors() && (s.Location == nil || s.Database == "") {
		var msgs []string
		for _, d := range l.Items() {
			if d.Severity == diag.Error {
				msgs = append(msgs, d.String())
			}
		}
		return nil, fmt.Errorf("%s has errors (afterglow validate shows them):\n%s", config, strings.Join(msgs, "\n"))
	}
	// Only what a report uses must resolve: channels' secrets are not needed to read the database.
	only := *s
	only.Channels = nil
	only.Listen, only.PublicURL, only.Secret, only.Sources = "", "", "", nil
	expanded, err := only.Expand(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	return expanded, nil
}
