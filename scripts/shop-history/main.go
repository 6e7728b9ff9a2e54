// Command shop-history writes the example shop's past: examples/shop/history/orders_export.csv and
// customers_export.csv, the Shopify exports of its year before the weeks of events.ndjson.
//
//	go run ./scripts/shop-history            # rewrites the files (the same files every time)
//
// The customers whose accounts events.ndjson shows as older than its weeks (they reappear through
// customers/update with their original created_at) have orders in that year under their own
// Shopify ids, emails and consent, buying what they buy again in October: the simulation then
// sees them come back. The customers events.ndjson creates are not in the files.
package main

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/importer/shopgen"
)

const (
	shopSource = "shopify/tienda-aurora.myshopify.com"
	seed       = 20241001
	newBuyers  = 660 // new buyers over the year, besides the accounts of events.ndjson
)

func main() {
	dir := "examples/shop"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	orders, customers, stats, err := generate(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shop-history:", err)
		os.Exit(1)
	}
	for name, b := range map[string][]byte{"orders_export.csv": orders, "customers_export.csv": customers} {
		if err := os.WriteFile(filepath.Join(dir, "history", name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "shop-history:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("%d orders (%d rows, %d cancelled, %d refunded) from %s to %s; %d customers, %d of them never ordered\n",
		stats.Orders, stats.Rows, stats.Cancelled, stats.Refunded, stats.First.Format("2006-01-02"), stats.Last.Format("2006-01-02"),
		stats.Customers, stats.Subscribers)
}

// generate makes the two files for the workspace in dir.
func generate(dir string) (orders, customers []byte, stats shopgen.Stats, err error) {
	evs, err := readEvents(filepath.Join(dir, "events.ndjson"))
	if err != nil {
		return nil, nil, stats, err
	}
	start := time.Date(2024, 10, 1, 0, 0, 0, 0, time.FixedZone("-05", -5*3600))
	shop := shopgen.Tienda(seed, start, 12, newBuyers)
	shop.Known, shop.Reserved = accounts(evs, start.AddDate(0, 12, 0))
	var o, c bytes.Buffer
	stats, err = shop.Write(&o, &c)
	return o.Bytes(), c.Bytes(), stats, err
}

func readEvents(path string) ([]event.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var evs []event.Event
	err = event.ReadNDJSON(f, func(_ int, e event.Event) error { evs = append(evs, e); return nil })
	return evs, err
}

// accounts finds the Shopify customers whose accounts are older than end, with what the events
// say about them, and every email the events use (no made-up customer may take one).
func accounts(evs []event.Event, end time.Time) ([]shopgen.Customer, map[string]bool) {
	reserved := map[string]bool{}
	type acc struct {
		c       shopgen.Customer
		since   time.Time
		created bool // the events create this customer: new, not in the history
		skus    []string
	}
	byID := map[string]*acc{}
	var ids []string
	for _, e := range evs {
		if email, _ := e.Data["email"].(string); email != "" {
			reserved[strings.ToLower(email)] = true
		}
		if e.Source != shopSource {
			continue
		}
		a := byID[e.Subject]
		if a == nil {
			a = &acc{c: shopgen.Customer{ID: e.Subject, Region: "PE"}}
			byID[e.Subject] = a
			ids = append(ids, e.Subject)
		}
		switch e.Type {
		case event.CustomerCreated:
			a.created = true
		case event.CustomerUpdated:
			d := e.Data
			setIf(&a.c.Email, d["email"])
			setIf(&a.c.FirstName, d["first_name"])
			setIf(&a.c.LastName, d["last_name"])
			setIf(&a.c.Phone, d["phone"])
			if tz, _ := d["timezone"].(string); tz == "America/New_York" {
				a.c.Region = "US"
			}
			if consent, ok := d["consent"].(map[string]any); ok && a.since.IsZero() {
				a.c.AcceptsEmail, _ = consent["email"].(bool)
				a.c.AcceptsSMS, _ = consent["sms"].(bool)
			}
			if s, _ := d["created_at"].(string); s != "" {
				if t, err := time.Parse(time.RFC3339, s); err == nil {
					a.since = t
				}
			}
		case event.OrderPlaced:
			if cur, _ := e.Data["currency"].(string); cur == "USD" {
				a.c.Region = "US"
			}
			items, _ := e.Data["items"].([]any)
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					if sku, _ := m["sku"].(string); sku != "" {
						a.skus = append(a.skus, sku)
					}
				}
			}
		case "product.released":
			a.skus = append([]string{"SER-VITC-30"}, a.skus...) // they bought the first version
		}
	}
	sort.Strings(ids)
	var out []shopgen.Customer
	for _, id := range ids {
		a := byID[id]
		if a.created || a.since.IsZero() || !a.since.Before(end.AddDate(0, 0, -30)) || a.c.Email == "" {
			continue
		}
		if a.c.FirstName == "" {
			a.c.FirstName, a.c.LastName = nameOf(a.c.Email)
		}
		a.c.Since = a.since
		a.c.SKUs = a.skus
		h := fnv.New32a()
		h.Write([]byte(id))
		a.c.Orders = 1 + int(h.Sum32()%3) // one to three orders in the year
		out = append(out, a.c)
	}
	return out, reserved
}

func setIf(dst *string, v any) {
	if s, ok := v.(string); ok && s != "" {
		*dst = s
	}
}

// nameOf reads "tyler.wilson@example.com" as Tyler Wilson.
func nameOf(email string) (string, string) {
	local, _, _ := strings.Cut(email, "@")
	first, last, _ := strings.Cut(local, ".")
	title := func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return title(first), title(last)
}
