package shopifycsv

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const source = "shopify/example-goods.myshopify.com"

func readOrders(t *testing.T, file, text string) ([]*Order, []*Problem) {
	t.Helper()
	r, err := NewOrderReader(strings.NewReader(text), file)
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	var os []*Order
	var ps []*Problem
	for {
		o, err := r.Next()
		if errors.Is(err, io.EOF) {
			return os, ps
		}
		var bad Problems
		if errors.As(err, &bad) {
			ps = append(ps, bad...)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		os = append(os, o)
	}
}

func readCustomers(t *testing.T, file, text string) ([]*Customer, []*Problem) {
	t.Helper()
	r, err := NewCustomerReader(strings.NewReader(text), file)
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	var cs []*Customer
	var ps []*Problem
	for {
		c, err := r.Next()
		if errors.Is(err, io.EOF) {
			return cs, ps
		}
		var bad Problems
		if errors.As(err, &bad) {
			ps = append(ps, bad...)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
}

func corpus(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// convert runs the whole export through a Converter as the importer does: customers first for
// their ids, orders for first orders, then the events.
func convert(t *testing.T, orders []*Order, customers []*Customer) []event.Event {
	t.Helper()
	c := &Converter{Source: source, IDs: map[string]string{}, FirstOrder: map[string]time.Time{}}
	for _, cu := range customers {
		if cu.ID != "" && cu.Email != "" {
			c.IDs[NormEmail(cu.Email)] = cu.ID
		}
	}
	var last time.Time
	for _, o := range orders {
		if s, _ := c.Subject(o.Email); s != "" {
			if f, ok := c.FirstOrder[s]; !ok || o.CreatedAt.Before(f) {
				c.FirstOrder[s] = o.CreatedAt
			}
		}
		for _, u := range []time.Time{o.CreatedAt, o.PaidAt, o.FulfilledAt, o.CancelledAt} {
			if u.After(last) {
				last = u
			}
		}
	}
	var evs []event.Event
	for _, o := range orders {
		evs = append(evs, c.OrderEvents(o)...)
	}
	for _, cu := range customers {
		evs = append(evs, c.CustomerEvent(cu, last))
	}
	for _, e := range evs {
		if ps := e.Validate(); len(ps) > 0 {
			t.Errorf("event %s is not valid: %v", e.ID, ps)
		}
	}
	return evs
}

func golden(t *testing.T, name string, evs []event.Event) {
	t.Helper()
	var b strings.Builder
	for _, e := range evs {
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once to write it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("events differ from %s (go test -update rewrites it; check the diff):\n%s", path, b.String())
	}
}

// records is a CSV file as its header and rows, to build variants of the corpus files.
type records struct {
	header []string
	rows   [][]string
}

func corpusRecords(t *testing.T, name string) *records {
	t.Helper()
	r := csv.NewReader(strings.NewReader(corpus(t, name)))
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return &records{header: all[0], rows: all[1:]}
}

func (rs *records) col(name string) int {
	for i, h := range rs.header {
		if h == name {
			return i
		}
	}
	panic("no column " + name)
}

// set changes a value of a row (0 is the first data row).
func (rs *records) set(row int, col, value string) *records {
	rs.rows[row][rs.col(col)] = value
	return rs
}

// only keeps the columns named, in that order ("" makes an empty column named as given after |).
func (rs *records) only(cols ...string) *records {
	out := &records{header: cols}
	for _, row := range rs.rows {
		var r []string
		for _, c := range cols {
			v := ""
			for i, h := range rs.header {
				if h == c {
					v = row[i]
				}
			}
			r = append(r, v)
		}
		out.rows = append(out.rows, r)
	}
	return out
}

func (rs *records) without(cols ...string) *records {
	drop := map[string]bool{}
	for _, c := range cols {
		drop[c] = true
	}
	var keep []string
	for _, h := range rs.header {
		if !drop[h] {
			keep = append(keep, h)
		}
	}
	return rs.only(keep...)
}

func (rs *records) csv(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.Write(rs.header); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll(rs.rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
