package importer

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/importer/shopgen"
	"github.com/afterglowhq/afterglow/internal/pgtest"
)

// The proof that an imported history answers "of this month's buyers, how many had bought
// before?": the repeat rate of every month, computed here straight from the CSV rows (grouped by
// Name, counted unless cancelled, the buyer being the email) is what the stored events and
// customers give, on PostgreSQL and in memory, for the corpus files, the example shop's year and
// a made-up shop whose offsets change with daylight saving time.

// csvOrder is an order as this test reads it from the file, without the importer.
type csvOrder struct {
	id, email string
	created   time.Time
	cancelled bool
}

// readCSV reads a CSV file into rows of column name -> value.
func readCSV(t *testing.T, path string, row func(map[string]string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for i, h := range header {
			m[h] = rec[i]
		}
		row(m)
	}
}

// independentOrders: an order is its first row, the one with a Total; further rows of the same
// Name are its items and say nothing here.
func independentOrders(t *testing.T, path string) []csvOrder {
	var out []csvOrder
	readCSV(t, path, func(m map[string]string) {
		if m["Total"] == "" {
			return
		}
		created, err := time.Parse("2006-01-02 15:04:05 -0700", m["Created at"])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, csvOrder{id: m["Id"], email: strings.ToLower(m["Email"]), created: created, cancelled: m["Cancelled at"] != ""})
	})
	return out
}

func independentCustomerIDs(t *testing.T, path string) map[string]string {
	ids := map[string]string{}
	readCSV(t, path, func(m map[string]string) {
		ids[strings.ToLower(m["Email"])] = strings.TrimPrefix(m["Customer ID"], "'")
	})
	return ids
}

type month struct{ buyers, returning int }

func (m month) String() string {
	if m.buyers == 0 {
		return "0 buyers"
	}
	return fmt.Sprintf("%d buyers, %d returning (%.1f%%)", m.buyers, m.returning, 100*float64(m.returning)/float64(m.buyers))
}

// repeatByMonth: buyers of a month have a counted order in it; the returning ones had a counted
// order before the month began, months in the shop's time zone.
func repeatByMonth(orders []csvOrder, who func(csvOrder) string, loc *time.Location) map[string]month {
	first := map[string]time.Time{}
	buyers := map[string]map[string]bool{}
	for _, o := range orders {
		if o.cancelled || o.email == "" {
			continue
		}
		w := who(o)
		if f, ok := first[w]; !ok || o.created.Before(f) {
			first[w] = o.created
		}
		m := o.created.In(loc).Format("2006-01")
		if buyers[m] == nil {
			buyers[m] = map[string]bool{}
		}
		buyers[m][w] = true
	}
	out := map[string]month{}
	for m, ws := range buyers {
		begin, _ := time.ParseInLocation("2006-01", m, loc)
		var s month
		for w := range ws {
			s.buyers++
			if first[w].Before(begin) {
				s.returning++
			}
		}
		out[m] = s
	}
	return out
}

type dataset struct {
	name              string
	orders, customers string
	loc               string
	source            string
}

func datasets(t *testing.T) []dataset {
	dir := t.TempDir()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	shop := shopgen.Tienda(11, time.Date(2024, 6, 1, 0, 0, 0, 0, ny), 12, 500)
	shop.Location = ny
	o, err := os.Create(filepath.Join(dir, "orders_export.csv"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := os.Create(filepath.Join(dir, "customers_export.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shop.Write(o, c); err != nil {
		t.Fatal(err)
	}
	o.Close()
	c.Close()
	return []dataset{
		{"corpus", corpusOrders, corpusCustomers, "America/New_York", source},
		{"example shop", "../examples/shop/history/orders_export.csv", "../examples/shop/history/customers_export.csv", "America/Lima", "shopify/tienda-aurora.myshopify.com"},
		{"New York shop", o.Name(), c.Name(), "America/New_York", "shopify/new-york.myshopify.com"},
	}
}

func TestRepeatRateOfEachMonth(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"memory":     func(*testing.T) store.Store { return memstore.New() },
		"postgresql": func(t *testing.T) store.Store { return pgtest.Store(t, pgstore.Options{}) },
	}
	for _, ds := range datasets(t) {
		loc, err := time.LoadLocation(ds.loc)
		if err != nil {
			t.Fatal(err)
		}
		orders := independentOrders(t, ds.orders)
		ids := independentCustomerIDs(t, ds.customers)
		want := repeatByMonth(orders, func(o csvOrder) string { return o.email }, loc)
		if ds.name != "corpus" {
			logMonths(t, ds.name, want)
			returning := 0
			for _, m := range want {
				returning += m.returning
			}
			if len(want) < 12 || returning == 0 {
				t.Fatalf("%s: %d months, %d returning buyers: the data shows no repeat behaviour", ds.name, len(want), returning)
			}
		}
		for kind, open := range stores {
			t.Run(ds.name+"/"+kind, func(t *testing.T) {
				ctx := context.Background()
				st := open(t)
				ws := &dsl.Workspace{Settings: dsl.DefaultSettings(".")}
				eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.Nop(), History: true})
				if _, err := Shopify(ctx, ShopifyFiles{Orders: []string{ds.orders}, Customers: []string{ds.customers}}, Options{Source: ds.source, Ingest: ingestInto(eng, nil)}); err != nil {
					t.Fatal(err)
				}
				// Each order of the file is stored, under the customer its email names, at its time.
				var stored []csvOrder
				placed := map[string]int{}
				for _, o := range orders {
					if o.email == "" {
						continue
					}
					subject := o.email
					if id := ids[o.email]; id != "" {
						subject = id
					}
					ev, err := st.Event(ctx, subject, ds.source+"/order/"+o.id+"/placed")
					if err != nil {
						t.Fatalf("order %s of %s: %v", o.id, subject, err)
					}
					_, cerr := st.Event(ctx, subject, ds.source+"/order/"+o.id+"/cancelled")
					if (cerr == nil) != o.cancelled {
						t.Errorf("order %s: cancelled in the file %v, in the store %v", o.id, o.cancelled, cerr == nil)
					}
					if !ev.Time.Equal(o.created) {
						t.Errorf("order %s stored at %s, placed at %s", o.id, ev.Time, o.created)
					}
					stored = append(stored, csvOrder{id: o.id, email: subject, created: ev.Time, cancelled: cerr == nil})
					// A cancelled order is stored, and does not count among the customer's orders.
					n := placed[subject]
					if !o.cancelled {
						n++
					}
					placed[subject] = n
				}
				got := repeatByMonth(stored, func(o csvOrder) string { return o.email }, loc)
				if !sameMonths(got, want) {
					t.Errorf("repeat rates from the stored events differ from the file's:\n%s", diffMonths(got, want))
				}
				for subject, n := range placed {
					c, err := st.Customer(ctx, subject)
					if err != nil {
						t.Fatal(err)
					}
					if c.OrdersCount != n {
						t.Errorf("customer %s has %d orders, the file %d not cancelled", subject, c.OrdersCount, n)
					}
				}
			})
		}
	}
}

func sameMonths(a, b map[string]month) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func diffMonths(got, want map[string]month) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: got %v, want %v\n", k, got[k], want[k])
	}
	return b.String()
}

func logMonths(t *testing.T, name string, ms map[string]month) {
	var keys []string
	for k := range ms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%s %s: %v", name, k, ms[k])
	}
}
