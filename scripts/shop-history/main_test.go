package main

import (
	"bytes"
	"os"
	"testing"
)

// The example's history files are what this program writes: a change to the generator or to
// events.ndjson shows here until `go run ./scripts/shop-history` is run again.
func TestCommittedHistoryIsGenerated(t *testing.T) {
	orders, customers, stats, err := generate("../../examples/shop")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"orders_export.csv": orders, "customers_export.csv": customers} {
		got, err := os.ReadFile("../../examples/shop/history/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("examples/shop/history/%s is not what the generator writes: run go run ./scripts/shop-history", name)
		}
	}
	// A small shop's year: a few hundred customers, about a thousand orders.
	if stats.Orders < 900 || stats.Orders > 1200 || stats.Customers < 400 || stats.Customers > 800 {
		t.Errorf("%d orders, %d customers", stats.Orders, stats.Customers)
	}
	// The accounts events.ndjson brings back are in it, under their Shopify ids.
	for _, want := range []string{"'786640453979613639,Carmen,Huamán,carmen.huaman@example.com,", "'115310627314723954,", "'788089014677516020,"} {
		if !bytes.Contains(customers, []byte(want)) {
			t.Errorf("customers_export.csv lacks %s", want)
		}
	}
	// The customers events.ndjson creates are new: they are not in the history.
	if bytes.Contains(customers, []byte("valeria.mendoza@example.com")) || bytes.Contains(orders, []byte("patricia.rojas@example.com")) {
		t.Errorf("a customer new in events.ndjson has a history")
	}
}
