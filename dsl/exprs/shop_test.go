package exprs

import (
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl/products"
)

// history is a customer's counted orders for the tests: product ids by the moment of their order.
type history map[string]time.Time

func (h history) Bought(id string) bool { _, ok := h[id]; return ok }
func (h history) LastBought(id string) (time.Time, bool) {
	t, ok := h[id]
	return t, ok
}
func (h history) OrdersWithin(d time.Duration, now time.Time) int {
	n := 0
	for _, t := range h {
		if t.After(now.Add(-d)) {
			n++
		}
	}
	return n
}

func shopScope() Scope {
	return NewScope(map[string]*Type{"trigger": EventType, "customer": CustomerType(nil), "now": TimeT}, nil)
}

func TestProductAndHistoryFunctions(t *testing.T) {
	now := time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)
	ordered := now.Add(-40 * 24 * time.Hour)
	cat := products.New("p.yaml", []*products.Product{{ID: "serum-v1", Name: "Sérum", ReplenishAfter: 30 * 24 * time.Hour, ReplenishText: "30d", Related: []string{"spf"}}, {ID: "spf"}})
	lookup := &products.Lookup{Products: cat, History: history{"serum-v1": ordered}, Now: now}
	trigger := map[string]any{"time": ordered, "data": map[string]any{"items": []any{map[string]any{"product_id": "serum-v1"}}}}
	for _, c := range []struct {
		src  string
		want Kind
		out  any
	}{
		{`trigger.time + product(trigger.data.items[0].product_id).replenish_after`, Time, ordered.Add(30 * 24 * time.Hour)},
		{`product("serum-v1").name`, String, "Sérum"},
		{`product("serum-v1").replenish_days`, Int, 30},
		{`product("nothing") == nil`, Bool, true},
		{`product("spf").replenish_after == nil`, Bool, true},
		{`"spf" in product("serum-v1").related`, Bool, true},
		{`bought("serum-v1") && !bought("spf")`, Bool, true},
		{`last_bought("serum-v1")`, Time, ordered},
		{`last_bought("spf") == nil`, Bool, true},
		{`days_since(last_bought("serum-v1")) >= 40`, Bool, true},
		{`orders_within(days(60))`, Int, 1},
		{`orders_within(days(30)) == 0`, Bool, true},
	} {
		p, problems := Compile(c.src, shopScope(), c.want)
		if len(problems) > 0 {
			t.Errorf("%s: %v", c.src, problems)
			continue
		}
		out, err := p.Eval(Vars{"trigger": trigger, "customer": map[string]any{}, "now": now, LookupName: lookup})
		if err != nil || out != c.out {
			t.Errorf("%s = %v (%v), want %v", c.src, out, err, c.out)
		}
		// Without a lookup (a workspace with no catalog), a condition reads as for an unset value.
		if c.want == Bool {
			if _, err := p.Bool(Vars{"trigger": trigger, "customer": map[string]any{}, "now": now}); err != nil {
				t.Errorf("%s without a lookup: %v", c.src, err)
			}
		}
	}
}

func TestProductFunctionMistakes(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`product("serum-v1").replenish_afer > days(1)`, `a product has no field "replenish_afer" (did you mean "replenish_after"?)`},
		{`bought()`, `bought takes a product id`},
		{`bought("a", "b")`, `bought takes a product id`},
		{`orders_within(30) > 1`, `orders_within`},
		{`bought("serum-v1") + 1 > 0`, ``},
	} {
		_, problems := Compile(c.src, shopScope(), Bool)
		if len(problems) == 0 {
			t.Errorf("%s: no problem reported", c.src)
			continue
		}
		if !strings.Contains(problems[0].Message, c.want) {
			t.Errorf("%s: %q, want it to say %q", c.src, problems[0].Message, c.want)
		}
	}
}

func TestProductRefs(t *testing.T) {
	src := `bought("serum-v1") || product(trigger.data.x) != nil || last_bought("spf") != nil`
	p, problems := Compile(src, shopScope(), Bool)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if len(p.Products) != 3 || p.Products[0] != (ProductRef{"bought", "serum-v1", 7}) || p.Products[1] != (ProductRef{"product", "", 22}) || p.Products[2].ID != "spf" || p.Products[2].Func != "last_bought" {
		t.Errorf("refs %+v", p.Products)
	}
}
