package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
)

const (
	corpusOrders    = "shopifycsv/testdata/orders_export.csv"
	corpusCustomers = "shopifycsv/testdata/customers_export.csv"
	source          = "shopify/example-goods.myshopify.com"
)

// historyEngine is an engine in history mode over a fresh memory store, with no flows.
func historyEngine() (*engine.Engine, store.Store) {
	st := memstore.New()
	ws := &dsl.Workspace{Settings: dsl.DefaultSettings(".")}
	return engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.Nop(), History: true}), st
}

func ingestInto(eng *engine.Engine, batches *int) func(context.Context, []event.Event) (int, int, error) {
	return func(ctx context.Context, evs []event.Event) (int, int, error) {
		if batches != nil {
			*batches++
		}
		res, err := eng.Ingest(ctx, evs)
		return res.Stored, res.Duplicates, err
	}
}

func customer(t *testing.T, st store.Store, id string) *store.Customer {
	t.Helper()
	c, err := st.Customer(context.Background(), id)
	if err != nil {
		t.Fatalf("customer %s: %v", id, err)
	}
	return c
}

func TestImportCorpusTwice(t *testing.T) {
	ctx := context.Background()
	eng, st := historyEngine()
	files := ShopifyFiles{Orders: []string{corpusOrders}, Customers: []string{corpusCustomers}}
	s, err := Shopify(ctx, files, Options{Source: source, Ingest: ingestInto(eng, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if s.OrderRows != 9 || s.Orders != 5 || s.OrdersWritten != 5 || s.Buyers != 4 || s.Customers != 5 || s.Cancelled != 1 || s.Refunded != 2 ||
		s.Events != 13 || s.Stored != 13 || s.Bad != 0 || len(s.Warnings) != 0 {
		t.Errorf("summary %+v", s)
	}
	alex := customer(t, st, "7412345600101")
	if alex.OrdersCount != 2 || alex.TotalSpent.String() != "54.62" || alex.Attrs["email"] != "alex.example@example.com" ||
		!alex.FirstOrderAt.Equal(time.Date(2024, 3, 1, 15, 22, 33, 0, time.UTC)) || !alex.CreatedAt.Equal(alex.FirstOrderAt) {
		t.Errorf("Alex: %+v", alex)
	}
	// Consent is the customers export's, dated after every order.
	if c := alex.Consent["email"]; c.Value() != true || c.EventID != source+"/customer/7412345600101/created" {
		t.Errorf("Alex's email consent: %+v", c)
	}
	if c := customer(t, st, "7412345600102").Consent["email"]; c.Value() != false {
		t.Errorf("Jamie's email consent: %+v", c)
	}
	if sam := customer(t, st, "7412345600105"); sam.OrdersCount != 0 || sam.Attrs["email"] != "sam.newsletter@example.com" {
		t.Errorf("Sam: %+v", sam)
	}
	js, _ := st.Journeys(ctx, store.JourneyFilter{})
	ms, _ := st.Messages(ctx, store.MessageFilter{})
	if len(js) != 0 || len(ms) != 0 {
		t.Errorf("history entered %d journeys and wrote %d messages", len(js), len(ms))
	}

	again, err := Shopify(ctx, files, Options{Source: source, Ingest: ingestInto(eng, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if again.Stored != 0 || again.Duplicates != 13 {
		t.Errorf("a second import stored %d events, found %d known", again.Stored, again.Duplicates)
	}
	if a := customer(t, st, "7412345600101"); a.OrdersCount != 2 || a.TotalSpent.String() != "54.62" {
		t.Errorf("after a second import Alex has %d orders, %s spent", a.OrdersCount, a.TotalSpent)
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func corpusText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBadRowsImportNothingUnlessSkipped(t *testing.T) {
	ctx := context.Background()
	text := corpusText(t, corpusOrders)
	text = strings.Replace(text, ",30.50,", ",30,50,", 1) // #1001's Total, on line 2: one field too many
	text = strings.Replace(text, "2024-03-14 17:30:00 -0400,4,", "14/03/2024 17:30,4,", 1)
	orders := writeFile(t, "orders_export.csv", text)

	eng, st := historyEngine()
	calls := 0
	s, err := Shopify(ctx, ShopifyFiles{Orders: []string{orders}, Customers: []string{corpusCustomers}}, Options{Source: source, Ingest: ingestInto(eng, &calls)})
	if !errors.Is(err, ErrBadRows) {
		t.Fatalf("error %v, want ErrBadRows", err)
	}
	if calls != 0 || s.Bad != 2 || len(s.Problems) != 2 {
		t.Fatalf("%d batches ingested, %d bad, problems %v", calls, s.Bad, s.Problems)
	}
	for i, want := range []string{"orders_export.csv:2: order #1001: the row has 80 fields", "orders_export.csv:10: order #1005: Created at: \"14/03/2024 17:30\" is not a time"} {
		if !strings.Contains(s.Problems[i].Error(), want) {
			t.Errorf("problem %d: %v\nwant %s", i, s.Problems[i], want)
		}
	}

	s, err = Shopify(ctx, ShopifyFiles{Orders: []string{orders}, Customers: []string{corpusCustomers}}, Options{Source: source, SkipBad: true, Ingest: ingestInto(eng, &calls)})
	if err != nil {
		t.Fatal(err)
	}
	if s.OrdersWritten != 3 || s.Bad != 2 {
		t.Errorf("--skip-bad imported %d orders, %d bad", s.OrdersWritten, s.Bad)
	}
	if a := customer(t, st, "7412345600101"); a.OrdersCount != 1 {
		t.Errorf("Alex has %d orders, want #1004 alone", a.OrdersCount)
	}
	if c := customer(t, st, "7412345600104"); c.OrdersCount != 0 {
		t.Errorf("Casey has %d orders; #1005 was bad", c.OrdersCount)
	}
}

func TestProblemsAreBounded(t *testing.T) {
	var b strings.Builder
	text := corpusText(t, corpusOrders)
	header, _, _ := strings.Cut(text, "\n")
	b.WriteString(header + "\n")
	row := strings.SplitN(text, "\n", 3)[1]
	for i := 0; i < 150; i++ {
		b.WriteString(strings.Replace(strings.Replace(row, "#1001", "#"+string(rune('A'+i%26))+strings.Repeat("x", i/26), 1), ",USD,", ",usd,", 1) + "\n")
	}
	eng, _ := historyEngine()
	s, err := Shopify(context.Background(), ShopifyFiles{Orders: []string{writeFile(t, "o.csv", b.String())}}, Options{Source: source, MaxProblems: 20, Ingest: ingestInto(eng, nil)})
	if !errors.Is(err, ErrBadRows) || s.Bad != 150 || len(s.Problems) != 20 || s.MoreProblems != 130 {
		t.Errorf("err %v, bad %d, kept %d, more %d", err, s.Bad, len(s.Problems), s.MoreProblems)
	}
}

// Shopify lists the newest orders first in some exports: a customer's created_at and first order
// must not depend on it, nor on where the batches split.
func TestNewestFirstAndSmallBatches(t *testing.T) {
	ctx := context.Background()
	text := corpusText(t, corpusOrders)
	lines := strings.SplitAfter(text, "\n")
	// Whole orders, newest first: #1005 (2 lines), #1004 (2), #1003, #1002 (4 lines), #1001.
	reversed := lines[0] + strings.Join(lines[9:11], "") + strings.Join(lines[7:9], "") + lines[6] + strings.Join(lines[2:6], "") + lines[1]
	eng, st := historyEngine()
	batches := 0
	s, err := Shopify(ctx, ShopifyFiles{Orders: []string{writeFile(t, "o.csv", reversed)}}, Options{Source: source, BatchSize: 2, Ingest: ingestInto(eng, &batches)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Orders != 5 || batches < 5 {
		t.Fatalf("%d orders in %d batches", s.Orders, batches)
	}
	alex := customer(t, st, "alex.example@example.com")
	first := time.Date(2024, 3, 1, 15, 22, 33, 0, time.UTC)
	if alex.OrdersCount != 2 || !alex.FirstOrderAt.Equal(first) || !alex.CreatedAt.Equal(first) || !alex.LastOrderAt.Equal(time.Date(2024, 3, 12, 12, 47, 19, 0, time.UTC)) {
		t.Errorf("Alex: %d orders, first %s, created %s, last %s", alex.OrdersCount, alex.FirstOrderAt, alex.CreatedAt, alex.LastOrderAt)
	}
	if alex.Attrs["first_name"] != "Alex" || alex.Consent["email"].Value() != true {
		t.Errorf("Alex's details from the orders: %v", alex.Attrs)
	}
}

func TestOrdersWithoutEmailAreLeftOut(t *testing.T) {
	text := strings.Replace(corpusText(t, corpusOrders), "#1003,robin.placeholder@example.com,", "#1003,,", 1)
	eng, _ := historyEngine()
	s, err := Shopify(context.Background(), ShopifyFiles{Orders: []string{writeFile(t, "o.csv", text)}}, Options{Source: source, Ingest: ingestInto(eng, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if s.NoEmail != 1 || s.OrdersWritten != 4 || s.Buyers != 3 || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "orders without an Email: 1") {
		t.Errorf("summary %+v", s)
	}
}

// With several lanes, each customer's events still arrive in the order the files give them, and
// a failing batch stops the import with its error.
func TestLanesKeepEachCustomersOrder(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[string][]string{}
	record := func(_ context.Context, evs []event.Event) (int, int, error) {
		// Alex's first order is slow to store: were his later events in another lane, they
		// would overtake it.
		if strings.HasSuffix(evs[0].ID, "/order/5612345600001/placed") {
			time.Sleep(50 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range evs {
			seen[e.Subject] = append(seen[e.Subject], e.Type+" "+e.ID)
		}
		return len(evs), 0, nil
	}
	s, err := Shopify(ctx, ShopifyFiles{Orders: []string{corpusOrders}, Customers: []string{corpusCustomers}}, Options{Source: source, Lanes: 3, BatchSize: 1, Ingest: record})
	if err != nil {
		t.Fatal(err)
	}
	if s.Stored != 13 || s.Events != 13 {
		t.Errorf("stored %d of %d", s.Stored, s.Events)
	}
	want := []string{
		"order.placed " + source + "/order/5612345600001/placed",
		"order.placed " + source + "/order/5612345600004/placed",
		"order.refunded " + source + "/order/5612345600004/refunded",
		"customer.created " + source + "/customer/7412345600101/created",
	}
	if got := seen["7412345600101"]; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Alex's events in this order:\n%s", strings.Join(got, "\n"))
	}

	calls := 0
	failing := func(_ context.Context, evs []event.Event) (int, int, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 3 {
			return 0, 0, errors.New("the database went away")
		}
		return len(evs), 0, nil
	}
	_, err = Shopify(ctx, ShopifyFiles{Orders: []string{corpusOrders}, Customers: []string{corpusCustomers}}, Options{Source: source, Lanes: 2, BatchSize: 1, Ingest: failing})
	if err == nil || !strings.Contains(err.Error(), "the database went away") {
		t.Errorf("error %v", err)
	}
}

// splitCorpus writes the corpus orders as Shopify sends a large export: in two files, here the
// newest orders first.
func splitCorpus(t *testing.T) (newer, older string) {
	lines := strings.SplitAfter(corpusText(t, corpusOrders), "\n")
	header := lines[0]
	return writeFile(t, "orders_export_1.csv", header+strings.Join(lines[7:11], "")),
		writeFile(t, "orders_export_2.csv", header+strings.Join(lines[1:7], ""))
}

func TestAnExportInSeveralFiles(t *testing.T) {
	newer, older := splitCorpus(t)
	eng, st := historyEngine()
	s, err := Shopify(context.Background(), ShopifyFiles{Orders: []string{newer, older}, Customers: []string{corpusCustomers}}, Options{Source: source, Ingest: ingestInto(eng, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Orders != 5 || s.OrderRows != 9 || s.Stored != 13 {
		t.Errorf("summary %+v", s)
	}
	// Alex's first order is in the second file: it is still his created_at.
	alex := customer(t, st, "7412345600101")
	if first := time.Date(2024, 3, 1, 15, 22, 33, 0, time.UTC); alex.OrdersCount != 2 || !alex.CreatedAt.Equal(first) || !alex.FirstOrderAt.Equal(first) {
		t.Errorf("Alex: %d orders, created %s, first order %s", alex.OrdersCount, alex.CreatedAt, alex.FirstOrderAt)
	}
}
