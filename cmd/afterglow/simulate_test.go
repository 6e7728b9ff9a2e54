package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The example shop starts its simulation from its history: customers with past orders come back
// as repeat buyers (a loyalty tier reached on their first order of the weeks).
func TestSimulateStartsFromTheHistory(t *testing.T) {
	code, out, errs := afterglow(t, "simulate", "../../examples/shop")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, " orders of ") || !strings.Contains(errs, "examples/shop/history/orders_export.csv") {
		t.Errorf("stderr does not say what history was imported:\n%s", errs)
	}
	// Carmen's first order of October is her fourth or so: she reaches Silver on it.
	if !strings.Contains(out, `Carmen H.      loyalty-tiers/silver-news`) {
		t.Errorf("Carmen does not come back as a repeat buyer")
	}
	// A customer of the history alone gets the anniversary of their first order, named.
	if !strings.Contains(out, "registration-anniversary/celebrate") {
		t.Errorf("no anniversary for the history's customers")
	}
	code, without, errs := afterglow(t, "simulate", "../../examples/shop", "--no-history")
	if code != 0 || strings.Contains(errs, "history:") || strings.Contains(without, `Carmen H.      loyalty-tiers/silver-news`) {
		t.Errorf("--no-history (exit %d) still imports the history: %s", code, errs)
	}
}

func TestSimulateRefusesABadOrLateHistory(t *testing.T) {
	orders, err := os.ReadFile("../../examples/shop/history/orders_export.csv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(text string) {
		if err := os.WriteFile(filepath.Join(dir, "orders_export.csv"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(string(orders), ",PEN,", ",S/,", 1))
	code, _, errs := afterglow(t, "simulate", "../../examples/shop", "--history", dir)
	if code != 1 || !strings.Contains(errs, "orders_export.csv:2: order #1001: Currency") || !strings.Contains(errs, "--no-history") {
		t.Errorf("a bad history: exit %d, %s", code, errs)
	}
	// An order after the events begin.
	write(strings.Replace(string(orders), "2024-10-01 ", "2025-10-01 ", 2))
	code, _, errs = afterglow(t, "simulate", "../../examples/shop", "--history", dir)
	if code != 2 || !strings.Contains(errs, "after the first event") {
		t.Errorf("a history overlapping the events: exit %d, %s", code, errs)
	}
	code, _, errs = afterglow(t, "simulate", "../../examples/shop", "--history", filepath.Join(dir, "nowhere"))
	if code != 2 || !strings.Contains(errs, "orders_export.csv") {
		t.Errorf("a missing history: exit %d, %s", code, errs)
	}
}
