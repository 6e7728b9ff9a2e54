package tmpl

import (
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl/products"
)

type bought map[string]time.Time

func (b bought) Bought(id string) bool { _, ok := b[id]; return ok }
func (b bought) LastBought(id string) (time.Time, bool) {
	t, ok := b[id]
	return t, ok
}
func (b bought) OrdersWithin(d time.Duration, now time.Time) int {
	n := 0
	for _, t := range b {
		if t.After(now.Add(-d)) {
			n++
		}
	}
	return n
}

func TestProductAndHistoryFilters(t *testing.T) {
	now := time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)
	cat := products.New("p.yaml", []*products.Product{{ID: "serum-v1", Name: "Sérum", URL: "https://t.example/serum", ReplenishAfter: 30 * 24 * time.Hour, ReplenishText: "30d"}})
	lookup := &products.Lookup{Products: cat, History: bought{"serum-v1": now.Add(-10 * 24 * time.Hour)}, Now: now}
	src := `{% assign p = id | product %}{{ p.name }} {{ p.url }} {{ p.replenish_days }} días; ` +
		`{% if "serum-v1" | bought %}yes{% else %}no{% endif %} {% if "x" | bought %}yes{% else %}no{% endif %} ` +
		`{{ "serum-v1" | last_bought | date: "%d/%m" }} [{{ "x" | last_bought }}] {{ "30d" | orders_within }} {{ "1d" | orders_within }} [{{ "nothing" | product }}]`
	tp, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tp.Render(map[string]any{"id": "serum-v1", LookupVar: lookup}, NewBudget())
	if want := "Sérum https://t.example/serum 30 días; yes no 04/10 [] 1 0 []"; err != nil || got != want {
		t.Errorf("got %q (%v)\nwant %q", got, err, want)
	}
	// Without a lookup every filter answers as for a customer with no orders and no catalog.
	got, err = tp.Render(map[string]any{"id": "serum-v1"}, NewBudget())
	// (Liquid's date prints nil as the first of January: a template guards it with an if.)
	if want := "   días; no no 01/01 [] 0 0 []"; err != nil || got != want {
		t.Errorf("without a lookup: got %q (%v), want %q", got, err, want)
	}
	if _, err := mustParse(t, `{{ "a month" | orders_within }}`).Render(map[string]any{LookupVar: lookup}, NewBudget()); err == nil {
		t.Error("orders_within of a text that is no duration: no error")
	}
}
