package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/reload"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/importer"
)

func init() {
	register("import", "bring a shop's past orders in as history (Shopify admin's CSV exports)", runImport)
}

// importShopifyOptions are the flags of `afterglow import shopify`.
type importShopifyOptions struct {
	Orders, Customers string
	Config            string
	configSet         bool // --config was given: a missing file is an error
	DB                string
	Shop              string
	SkipBad           bool
	Batch             int
}

func runImport(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "shopify" {
		fmt.Fprintln(stderr, "Usage: afterglow import shopify --orders orders_export.csv [--customers customers_export.csv] [--config afterglow.yaml | --db URL]")
		fmt.Fprintln(stderr, "\nShopify is the one platform whose exports Afterglow reads.")
		return 2
	}
	fs := flag.NewFlagSet("import shopify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o importShopifyOptions
	fs.StringVar(&o.Orders, "orders", "", "the orders export (Shopify admin: Orders, Export, CSV)")
	fs.StringVar(&o.Customers, "customers", "", "the customers export, which gives each email its Shopify customer id")
	fs.StringVar(&o.Config, "config", "afterglow.yaml", "the workspace's settings file (for the database and the shop)")
	fs.StringVar(&o.DB, "db", "", "database URL (default: the settings' database, then DATABASE_URL)")
	fs.StringVar(&o.Shop, "shop", "", "the shop's myshopify.com domain (default: sources.shopify.shop in the settings)")
	fs.BoolVar(&o.SkipBad, "skip-bad", false, "import the good orders and leave out those with problems (default: a file with any problem imports nothing)")
	fs.IntVar(&o.Batch, "batch", 1000, "events per transaction")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: afterglow import shopify --orders orders_export.csv [--customers customers_export.csv] [--config afterglow.yaml | --db URL] [--shop DOMAIN]")
		fmt.Fprintln(stderr, "\nStores a Shopify shop's past orders, cancellations and refunds, and its customers, as history:")
		fmt.Fprintln(stderr, "customers' order counts and spending are updated, no flow is entered, nothing is sent. The files")
		fmt.Fprintln(stderr, "are checked first; any malformed row is reported with its line and nothing is imported (unless")
		fmt.Fprintln(stderr, "--skip-bad). Importing the same files again changes nothing. docs/import.md tells the details.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorder(args[1:])); err != nil {
		return 2
	}
	fs.Visit(func(f *flag.Flag) { o.configSet = o.configSet || f.Name == "config" })
	if o.Orders == "" || fs.NArg() != 0 || o.Batch <= 0 {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return importShopify(ctx, o, stdout, stderr)
}

// importShopify runs an import of Shopify exports into the database.
func importShopify(ctx context.Context, o importShopifyOptions, stdout, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "afterglow import shopify: "+format+"\n", a...)
		return code
	}
	for _, p := range []string{o.Orders, o.Customers} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return fail(2, "%v", err)
		}
	}
	// The workspace gives the database, the shop and the date flows (a birthday flow schedules the
	// customers it creates). Without one, --db alone will do: history needs no flow.
	ws := emptyWorkspace()
	if _, err := os.Stat(o.Config); err == nil || o.configSet {
		w, errs := reload.Load(o.Config)
		if w == nil {
			for _, d := range errs {
				fmt.Fprintln(stderr, d.String())
			}
			return fail(1, "the workspace %s has errors; fix them first (afterglow validate shows them)", o.Config)
		}
		ws = w
	}
	dbSetting, missing := dsl.Expand(ws.Settings.Database, os.LookupEnv)
	if len(missing) > 0 && o.DB == "" {
		return fail(2, "the settings' database uses %v, which is not set", missing)
	}
	url := firstNonEmpty(o.DB, dbSetting, os.Getenv("DATABASE_URL"))
	if url == "" {
		return fail(2, "no database: use --db, `database:` in the settings, or DATABASE_URL")
	}
	shop, err := shopDomain(firstNonEmpty(o.Shop, ws.Settings.Sources.ShopifyShop))
	if err != nil {
		return fail(2, "%v", err)
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		return fail(1, "%v", err)
	}
	defer st.Close()
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.New(stderr).Level(zerolog.WarnLevel), History: true})

	began, shown := time.Now(), time.Now()
	progress := func(s *importer.Summary) {
		if time.Since(shown) > time.Second {
			shown = time.Now()
			fmt.Fprintf(stderr, "\r%d of %d orders, %d events stored, %d already known", s.OrdersWritten, s.Orders, s.Stored, s.Duplicates)
		}
	}
	s, err := importer.Shopify(ctx, importer.ShopifyFiles{Orders: o.Orders, Customers: o.Customers}, importer.Options{
		Source: "shopify/" + shop, SkipBad: o.SkipBad, BatchSize: o.Batch, Progress: progress,
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
		return fail(1, "%s with problems, so nothing was imported: fix the rows above, export the files again, "+
			"or give --skip-bad to import all the rest", plural(s.Bad, "order or customer row"))
	}
	if err != nil {
		return fail(1, "%v (what was stored before stays; running the same import again completes it)", err)
	}
	elapsed := time.Since(began)
	fmt.Fprintf(stdout, "imported %s (%s to %s) of %s: %d cancelled, %d refunded\n", plural(s.OrdersWritten, "order"),
		s.From.Format("2006-01-02"), s.To.Format("2006-01-02"), plural(s.Buyers, "customer"), s.Cancelled, s.Refunded)
	if o.Customers != "" {
		fmt.Fprintf(stdout, "%s from %s\n", plural(s.Customers-s.Unidentified, "customer"), o.Customers)
	}
	if s.Bad > 0 {
		fmt.Fprintf(stdout, "%s left out for their problems (--skip-bad)\n", plural(s.Bad, "order or customer row"))
	}
	fmt.Fprintf(stdout, "%d events: %d stored, %d already there; %d rows in %s (%.0f rows/s)\n",
		s.Events, s.Stored, s.Duplicates, s.OrderRows, elapsed.Round(time.Millisecond), float64(s.OrderRows)/elapsed.Seconds())
	return 0
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
