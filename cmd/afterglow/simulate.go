package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/event/catalog"
	"github.com/afterglowhq/afterglow/importer"
	"github.com/afterglowhq/afterglow/insight"
	"github.com/afterglowhq/afterglow/insight/memsource"
	"github.com/afterglowhq/afterglow/sim"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

func init() { addCommand(newSimulateCmd) }

type simulateOptions struct {
	events, until, format string
	report                string
	history               string
	noHistory             bool
	flows, customers      []string // what the timeline and summary show; everything is simulated
	full                  bool
}

func newSimulateCmd(c *cli) *cobra.Command {
	var o simulateOptions
	cmd := &cobra.Command{
		Use:   "simulate [--events FILE.ndjson] [--until DUR] [--format text|json] [--flow F]... [--customer ID]... [--full] WORKSPACE",
		Short: "Run a workspace over events on a virtual clock, with no database",
		Long: `Runs the workspace's flows over the events on a virtual clock, in memory, and prints every message
with when it leaves, then a summary per flow. Nothing is sent and no database is needed.

When the workspace has a history/ folder with Shopify's orders_export.csv (and customers_export.csv),
those past orders are imported first, as afterglow import shopify stores them: customers start the
simulation with their order counts and spending, and no flow sends for the past.`,
		Example: `  afterglow simulate examples/shop
  afterglow simulate examples/shop --until 90d --format json > timeline.json
  afterglow simulate . --events big.ndjson
  afterglow simulate examples/shop --no-history
  afterglow simulate examples/shop --flow winback --flow thank-you-nps
  afterglow simulate examples/shop --customer 786640453979613639   # one customer, messages in full`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			if err := oneOf("format", o.format, "text", "json"); err != nil {
				return err
			}
			return runSimulate(c, a[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.events, "events", "", "events, one CloudEvent per line (default: events.ndjson in the workspace)")
	f.StringVar(&o.until, "until", "", "how long to run after the first event, like 60d (default: 30 days after the last event)")
	f.StringVar(&o.format, "format", "text", "output: text or json")
	f.StringVar(&o.history, "history", "", "a folder with Shopify's orders_export.csv (and customers_export.csv) to import before the events (default: history in the workspace, when there)")
	f.StringArrayVar(&o.flows, "flow", nil, "show only this flow's messages and summary row (repeatable); every flow is still simulated")
	f.StringArrayVar(&o.customers, "customer", nil, "show only this customer's messages and journeys (repeatable); every customer is still simulated")
	f.BoolVar(&o.full, "full", false, "print each message's whole content (subject and body) under its line; on by default with one --customer")
	f.BoolVar(&o.noHistory, "no-history", false, "start from no past, even when the workspace has a history folder")
	f.StringVar(&o.report, "report", "", "also write the report of the simulated shop to this file: .html (a page with charts), .json or .txt; the twelve months up to the last event's")
	return cmd
}

func runSimulate(c *cli, dir string, o simulateOptions) error {
	stderr := c.stderr
	ws, err := loadWorkspace(c, dir)
	if err != nil {
		return err
	}
	path := o.events
	if path == "" {
		path = filepath.Join(ws.Dir, "events.ndjson")
	}
	evs, err := readEvents(path, ws.Events)
	if err != nil {
		return usageError{err}
	}
	if len(evs) == 0 {
		return usagef("%s holds no events", path)
	}
	start, last := evs[0].Time, evs[0].Time
	for _, e := range evs {
		if e.Time.Before(start) {
			start = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
	}
	until := last.Add(30 * 24 * time.Hour)
	if o.until != "" {
		d, err := timespec.ParseCompound(o.until)
		if err != nil {
			return usagef("--until: %v", err)
		}
		until = start.Add(d)
	}

	ctx := context.Background()
	shards := make([]sim.Shard, min(runtime.GOMAXPROCS(0), 4))
	for i := range shards {
		clk := clock.NewVirtual(start)
		st := memstore.NewLean()
		if full := o.full || len(o.customers) == 1; full {
			shown := shownSet{flows: setOf(o.flows), customers: setOf(o.customers)}
			st.KeepContent(func(m *store.Message) bool { return shown.keeps(m.FlowID, m.CustomerID) })
		}
		eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), EventTime: true, Preview: true,
			Unsubscribe: func(c, ch, m string) string { return "https://afterglow.example/u/" + m }})
		if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
			return err
		}
		shards[i] = sim.Shard{Engine: eng, Clock: clk, Store: st}
	}
	if err := simulationHistory(ctx, c, ws, o, shards, start); err != nil {
		return err
	}
	began := time.Now()
	lastShown := began
	progress := func(now time.Time, done int) {
		if t := time.Now(); t.Sub(began) > time.Second && t.Sub(lastShown) > 500*time.Millisecond {
			lastShown = t
			fmt.Fprintf(stderr, "\rsimulating %s: %d/%d events", now.In(ws.Settings.Location).Format("2006-01-02"), done, len(evs))
		}
	}
	if err := sim.RunSharded(ctx, shards, evs, until, progress); err != nil {
		fmt.Fprintln(stderr)
		return err
	}
	if lastShown != began {
		fmt.Fprintf(stderr, "\rsimulated %d events in %s%20s\n", len(evs), time.Since(began).Round(time.Millisecond), "")
	}
	ms, _ := sim.Messages(ctx, shards)
	js, _ := sim.Journeys(ctx, shards)
	var flows []string
	for _, f := range shards[0].Engine.Flows().Flows {
		flows = append(flows, f.ID)
	}
	customers := map[string]bool{}
	for _, e := range evs {
		customers[e.Subject] = true
	}
	named := map[string]bool{}
	for id := range customers {
		named[id] = true
	}
	for _, m := range ms {
		named[m.CustomerID] = true // a customer from the history has no event, but may get messages
	}
	shown, err := simulationFilter(o, flows, named)
	if err != nil {
		return err
	}
	if len(o.flows) > 0 {
		flows = o.flows
	}
	ms, js = shown.messages(ms), shown.journeys(js)
	rep := &sim.Report{Start: start, Until: until, Location: ws.Settings.Location, Events: len(evs), Customers: len(customers),
		Messages: ms, Flows: sim.Summarize(ms, js, flows), Names: map[string]string{}, Zones: map[string]*time.Location{},
		Shown: shown.String(), Full: o.full || len(o.customers) == 1}
	for id := range named {
		c, err := sim.Customer(ctx, shards, id)
		if err != nil {
			continue
		}
		rep.Names[id] = sim.Label(c)
		if tz, _ := c.Attrs["timezone"].(string); tz != "" {
			if loc, err := timespec.LoadLocation(tz); err == nil {
				rep.Zones[id] = loc
			}
		}
	}
	if o.report != "" {
		if err := simulationReport(ctx, c, ws, shards, last, o.report); err != nil {
			return err
		}
	}
	if o.format == "json" {
		return rep.WriteJSON(c.stdout)
	}
	return rep.WriteText(c.stdout)
}

// shownSet is what --flow and --customer keep of a simulation's output; an empty set keeps all.
type shownSet struct{ flows, customers map[string]bool }

// simulationFilter checks the --flow and --customer names against the workspace's flows and the
// simulation's customers: a misspelt name would show nothing, and say nothing of why.
func simulationFilter(o simulateOptions, flows []string, customers map[string]bool) (shownSet, error) {
	s := shownSet{flows: map[string]bool{}, customers: map[string]bool{}}
	for _, f := range o.flows {
		if !slices.Contains(flows, f) {
			msg := fmt.Sprintf("--flow %s: the workspace has no such flow", f)
			if c := diag.Closest(f, flows); c != "" {
				msg += fmt.Sprintf("; did you mean %s?", c)
			}
			return s, usagef("%s", msg)
		}
		s.flows[f] = true
	}
	ids := make([]string, 0, len(customers))
	for id := range customers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, c := range o.customers {
		if !customers[c] {
			msg := fmt.Sprintf("--customer %s: no event or message of the simulation is that customer's", c)
			if near := diag.Closest(c, ids); near != "" {
				msg += fmt.Sprintf("; did you mean %s?", near)
			}
			return s, usagef("%s", msg)
		}
		s.customers[c] = true
	}
	return s, nil
}

func setOf(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

func (s shownSet) keeps(flow, customer string) bool {
	return (len(s.flows) == 0 || s.flows[flow]) && (len(s.customers) == 0 || s.customers[customer])
}

func (s shownSet) messages(ms []*store.Message) []*store.Message {
	out := ms[:0:0]
	for _, m := range ms {
		if s.keeps(m.FlowID, m.CustomerID) {
			out = append(out, m)
		}
	}
	return out
}

func (s shownSet) journeys(js []*store.Journey) []*store.Journey {
	out := js[:0:0]
	for _, j := range js {
		if s.keeps(j.FlowID, j.CustomerID) {
			out = append(out, j)
		}
	}
	return out
}

// String says what is shown, for the timeline's heading; "" when it is everything.
func (s shownSet) String() string {
	var parts []string
	for _, set := range []struct {
		what string
		m    map[string]bool
	}{{"flow", s.flows}, {"customer", s.customers}} {
		if len(set.m) == 0 {
			continue
		}
		names := make([]string, 0, len(set.m))
		for n := range set.m {
			names = append(names, n)
		}
		sort.Strings(names)
		what := set.what
		if len(names) > 1 {
			what += "s"
		}
		parts = append(parts, what+" "+strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}

// readEvents reads an NDJSON file of events, each of which must fit its type in the catalog: a
// simulation of events the engine would refuse would show what can never happen.
func readEvents(path string, events *catalog.Catalog) ([]event.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var evs []event.Event
	err = event.ReadNDJSON(f, func(line int, e event.Event) error {
		if ps := events.CheckData(&e); len(ps) > 0 {
			var msgs []string
			for _, p := range ps {
				msgs = append(msgs, p.Error())
			}
			return &event.LineError{Line: line, Problem: "event " + e.ID + " does not fit: " + strings.Join(msgs, "; ")}
		}
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return evs, nil
}

// simulationHistory imports the workspace's Shopify exports into the shards before the events, as
// `afterglow import shopify` does into a database. The history must end before the events begin:
// a simulation lives through the events after the past, not among it.
func simulationHistory(ctx context.Context, c *cli, ws *dsl.Workspace, o simulateOptions, shards []sim.Shard, start time.Time) error {
	if o.noHistory {
		return nil
	}
	dir := o.history
	if dir == "" {
		dir = filepath.Join(ws.Dir, "history")
		if m, _ := filepath.Glob(filepath.Join(dir, "orders_export*.csv")); len(m) == 0 {
			return nil // no history: the simulation starts from nothing, as before
		}
	}
	// Shopify names the files orders_export.csv, or orders_export_1.csv, _2, ... for a large shop.
	var files importer.ShopifyFiles
	files.Orders, _ = filepath.Glob(filepath.Join(dir, "orders_export*.csv"))
	files.Customers, _ = filepath.Glob(filepath.Join(dir, "customers_export*.csv"))
	if len(files.Orders) == 0 {
		return usagef("--history %s: no orders_export.csv there (the folder holds Shopify's orders_export.csv and, optionally, customers_export.csv)", dir)
	}
	shop := ws.Settings.SourceSetting("shopify", "shop")
	if shop == "" {
		shop = "history" // ids only need to be stable within the simulation
	}
	var latest time.Time
	ingest := sim.HistoryIngest(shards)
	s, err := importer.Shopify(ctx, files, importer.Options{Source: "shopify/" + shop, Now: func() time.Time { return start },
		Ingest: func(ctx context.Context, evs []event.Event) (int, int, error) {
			for _, e := range evs {
				if e.Time.After(latest) {
					latest = e.Time
				}
			}
			if latest.After(start) {
				// The engine would refuse it as an event from its future; say what is wrong instead.
				return 0, 0, errHistoryOverlap
			}
			return ingest(ctx, evs)
		}})
	for _, w := range s.Warnings {
		fmt.Fprintln(c.stderr, "warning:", w)
	}
	for _, p := range s.Problems {
		fmt.Fprintln(c.stderr, p)
	}
	if latest.After(start) {
		return usagef("the history in %s runs until %s, after the first event (%s): a simulation plays the past first, then the events; "+
			"end the history earlier or start the events later", dir, latest.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	if errors.Is(err, importer.ErrBadRows) {
		return fmt.Errorf("the history in %s has %s with problems: fix them (docs/import.md) or simulate with --no-history", dir, plural(s.Bad, "bad row"))
	}
	if err != nil {
		return fmt.Errorf("history %s: %w", dir, err)
	}
	fmt.Fprintf(c.stderr, "history: %s of %s (%s to %s) from %s\n", plural(s.OrdersWritten, "order"), plural(s.Buyers, "customer"),
		s.From.Format("2006-01-02"), s.To.Format("2006-01-02"), strings.Join(files.Orders, ", "))
	return nil
}

// errHistoryOverlap stops an import whose history reaches into the simulation's events.
var errHistoryOverlap = errors.New("the history reaches past the first event")

// simulationReport writes the report of the simulation's stores: the twelve months up to the month
// of its last event, in the workspace's time zone and currency. The file's extension picks the
// format.
func simulationReport(ctx context.Context, c *cli, ws *dsl.Workspace, shards []sim.Shard, last time.Time, file string) error {
	stores := make([]*memstore.Store, len(shards))
	for i, sh := range shards {
		stores[i] = sh.Store.(*memstore.Store)
	}
	src := memsource.New(stores...)
	currency := ws.Settings.Currency
	if currency == "" {
		if currency = src.MainCurrency(); currency == "" {
			currency = "USD"
		}
		fmt.Fprintf(c.stderr, "note: the report's money is in %s, the currency of most orders (set `currency:` in the settings)\n", currency)
	}
	to := insight.MonthOf(last, ws.Settings.Location)
	q := insight.Query{From: to.Add(-11), To: to, Location: ws.Settings.Location, Currency: currency, Window: insight.DefaultWindow}
	r, err := insight.Compute(ctx, src, q)
	if err != nil {
		return err
	}
	format := "html"
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json":
		format = "json"
	case ".txt", ".text":
		format = "text"
	}
	return writeReport(c, r, format, file)
}
