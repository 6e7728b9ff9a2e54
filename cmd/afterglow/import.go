package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/reload"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/importer"
)

func init() { addCommand(newImportCmd) }

// importShopifyOptions are the flags of `afterglow import shopify`.
type importShopifyOptions struct {
	orders, customers []string
	config            string
	configSet         bool // --config was given: a missing file is an error
	db                string
	shop              string
	skipBad           bool
	batch, workers    int
}

func newImportCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Bring a shop's past orders in as history (Shopify admin's CSV exports)",
		Long: `Brings a shop's past orders and customers into Afterglow from the files its platform exports.
Shopify is the one platform whose exports Afterglow reads: see afterglow import shopify --help.`,
		Example: `  afterglow import shopify --orders orders_export.csv --customers customers_export.csv`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return exitStatus(2)
		},
	}
	cmd.AddCommand(newImportShopifyCmd(c))
	return cmd
}

func newImportShopifyCmd(c *cli) *cobra.Command {
	var o importShopifyOptions
	cmd := &cobra.Command{
		Use:   "shopify --orders orders_export.csv [--customers customers_export.csv] [--config afterglow.yaml | --db URL] [--shop DOMAIN]",
		Short: "Import Shopify admin's orders and customers exports as history",
		Long: `Stores a Shopify shop's past orders, cancellations and refunds, and its customers, as history:
customers' order counts and spending are updated, no flow is entered, nothing is sent. The files
are checked first; every malformed row is reported with its line, and nothing is imported unless
--skip-bad. Importing the same files again changes nothing. docs/import.md tells the details.`,
		Example: `  afterglow import shopify --orders orders_export.csv --customers customers_export.csv
  afterglow import shopify --orders orders_export_1.csv --orders orders_export_2.csv --customers customers_export.csv
  afterglow import shopify --orders orders_export.csv --db postgres://localhost/shop --shop tienda.myshopify.com`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.orders) == 0 {
				return usagef("--orders is required: the orders export (Shopify admin: Orders, Export, CSV)")
			}
			if o.batch <= 0 || o.workers <= 0 {
				return usagef("--batch and --workers must be positive")
			}
			o.configSet = cmd.Flags().Changed("config")
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return importShopify(ctx, c, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.orders, "orders", nil, "the orders export (Shopify admin: Orders, Export, CSV); repeat it for an export in several files")
	f.StringArrayVar(&o.customers, "customers", nil, "the customers export, which gives each email its Shopify customer id; repeat it for several files")
	f.StringVar(&o.config, "config", "afterglow.yaml", "the workspace's settings file (for the database and the shop)")
	f.StringVar(&o.db, "db", "", "database URL (default: the settings' database, then DATABASE_URL)")
	f.StringVar(&o.shop, "shop", "", "the shop's myshopify.com domain (default: sources.shopify.shop in the settings)")
	f.BoolVar(&o.skipBad, "skip-bad", false, "import the good orders and leave out those with problems (default: a file with any problem imports nothing)")
	f.IntVar(&o.batch, "batch", 1000, "events per transaction")
	f.IntVar(&o.workers, "workers", 2, "transactions at once (each customer's events stay in order)")
	return cmd
}

// importShopify runs an import of Shopify exports into the database.
func importShopify(ctx context.Context, c *cli, o importShopifyOptions) error {
	stdout, stderr := c.stdout, c.stderr
	for _, p := range append(append([]string(nil), o.orders...), o.customers...) {
		if _, err := os.Stat(p); err != nil {
			return usageError{err}
		}
	}
	// The workspace gives the database, the shop and the date flows (a birthday flow schedules the
	// customers it creates). Without one, --db alone will do: history needs no flow.
	ws := emptyWorkspace()
	if _, err := os.Stat(o.config); err == nil || o.configSet {
		w, errs := reload.Load(o.config)
		if w == nil {
			for _, d := range errs {
				fmt.Fprintln(stderr, d.String())
			}
			return fmt.Errorf("the workspace %s has errors; fix them first (afterglow validate shows them)", o.config)
		}
		ws = w
	}
	dbSetting, missing := dsl.Expand(ws.Settings.Database, os.LookupEnv)
	if len(missing) > 0 && o.db == "" {
		return usagef("the settings' database uses %v, which is not set", missing)
	}
	url, err := databaseURL(o.db, dbSetting)
	if err != nil {
		return err
	}
	shop, err := shopDomain(firstNonEmpty(o.shop, ws.Settings.SourceSetting("shopify", "shop")))
	if err != nil {
		return usageError{err}
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.New(stderr).Level(zerolog.WarnLevel), History: true})

	began, shown := time.Now(), time.Now()
	progress := func(s *importer.Summary) {
		if time.Since(shown) > time.Second {
			shown = time.Now()
			fmt.Fprintf(stderr, "\r%d events stored, %d already known (%d orders in the file)", s.Stored, s.Duplicates, s.Orders)
		}
	}
	s, err := importer.Shopify(ctx, importer.ShopifyFiles{Orders: o.orders, Customers: o.customers}, importer.Options{
		Source: "shopify/" + shop, SkipBad: o.skipBad, BatchSize: o.batch, Lanes: o.workers, Progress: progress,
		Ingest: func(ctx context.Context, evs []event.Event) (int, int, error) { return ingestRetrying(ctx, eng, evs) },
	})
	if shown != began {
		fmt.Fprintln(stderr)
	}
	for _, w := range s.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	for _, p := range s.Problems {
		fmt.Fprintln(stderr, p)
	}
	if s.MoreProblems > 0 {
		fmt.Fprintf(stderr, "... and %d more problems\n", s.MoreProblems)
	}
	if errors.Is(err, importer.ErrBadRows) {
		return fmt.Errorf("%s with problems, so nothing was imported: fix the rows above, export the files again, "+
			"or give --skip-bad to import all the rest", plural(s.Bad, "order or customer row"))
	}
	if err != nil {
		return fmt.Errorf("%w (what was stored before stays; running the same import again completes it)", err)
	}
	elapsed := time.Since(began)
	fmt.Fprintf(stdout, "imported %s (%s to %s) of %s: %d cancelled, %d refunded\n", plural(s.OrdersWritten, "order"),
		s.From.Format("2006-01-02"), s.To.Format("2006-01-02"), plural(s.Buyers, "customer"), s.Cancelled, s.Refunded)
	if len(o.customers) > 0 {
		fmt.Fprintf(stdout, "%s from %s\n", plural(s.Customers-s.Unidentified, "customer"), strings.Join(o.customers, ", "))
	}
	if s.Bad > 0 {
		fmt.Fprintf(stdout, "%s left out for their problems (--skip-bad)\n", plural(s.Bad, "order or customer row"))
	}
	fmt.Fprintf(stdout, "%d events: %d stored, %d already there; %d rows in %s (%.0f rows/s)\n",
		s.Events, s.Stored, s.Duplicates, s.OrderRows, elapsed.Round(time.Millisecond), float64(s.OrderRows)/elapsed.Seconds())
	return nil
}

// ingestRetrying hands a batch to the engine, again when the database asks for a retry (a
// serialization failure or a deadlock with a live ingester).
func ingestRetrying(ctx context.Context, eng *engine.Engine, evs []event.Event) (int, int, error) {
	var res engine.IngestResult
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if res, err = eng.Ingest(ctx, evs); err == nil || !store.Retryable(err) {
			break
		}
	}
	return res.Stored, res.Duplicates, err
}

// shopDomain checks the shop's domain as the webhooks name it: tienda.myshopify.com.
func shopDomain(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		return "", errors.New("which shop? give --shop tienda.myshopify.com (the shop's myshopify.com domain) or set sources.shopify.shop " +
			"in the settings: imported orders are named after it as its webhooks are, so that an order imported and also received counts once")
	}
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "/ ") {
		return "", fmt.Errorf("--shop %q is not a domain: give the shop's myshopify.com domain, like tienda.myshopify.com", s)
	}
	return s, nil
}

// emptyWorkspace stands for a workspace when there is none: no flows, default settings.
func emptyWorkspace() *dsl.Workspace {
	s := dsl.DefaultSettings(".")
	return &dsl.Workspace{Dir: ".", Settings: s}
}
