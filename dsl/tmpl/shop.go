package tmpl

import (
	"fmt"

	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/afterglowhq/afterglow/dsl/timespec"
)

// LookupVar is the variable through which the product and purchase-history filters reach the
// catalog and the customer's orders (a *products.Lookup). Liquid cannot name it: it is not an
// identifier. Without it, product is nil, bought false, last_bought nil and orders_within 0.
const LookupVar = "\x00lookup"

// lookupFilters are the filters that read the catalog or the customer's history; get gives the
// lookup of the rendering under way.
//
//	{{ trigger.data.items[0].product_id | product | map: "name" }}
//	{% if "serum-v1" | bought %} ... {% endif %}
//	{{ "serum-v1" | last_bought | date: "%d/%m/%Y" }}
//	{{ "90d" | orders_within }}
func lookupFilters(get func() *products.Lookup) map[string]any {
	return map[string]any{
		"product": func(id any) any {
			if s := idText(id); s != "" {
				if p := get().Catalog().Get(s); p != nil {
					return p.Snapshot()
				}
			}
			return nil
		},
		"bought": func(id any) bool { return get().Bought(idText(id)) },
		"last_bought": func(id any) any {
			return get().LastBought(idText(id))
		},
		"orders_within": func(d string) (int, error) {
			dur, err := timespec.ParseDuration(d)
			if err != nil {
				return 0, fmt.Errorf("orders_within: %v", err)
			}
			return get().OrdersWithin(dur), nil
		},
	}
}

func idText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}
