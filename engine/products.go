package engine

import (
	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/afterglowhq/afterglow/event"
)

// enrich gives each item of the event's data that names a product of the catalog that product,
// as the catalog has it when the event is stored: an order keeps what was bought, and a template
// shows it even after the product changes or leaves the catalog. The data is copied, never
// changed in place: it is the caller's.
func enrich(ev *event.Event, c *products.Catalog) {
	items, ok := ev.Data["items"].([]any)
	if c == nil || !ok {
		return
	}
	var out []any
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		p := c.Get(idText(m["product_id"]))
		if p == nil {
			continue
		}
		if out == nil {
			out = append([]any(nil), items...)
		}
		cm := make(map[string]any, len(m)+1)
		for k, v := range m {
			cm[k] = v
		}
		cm["product"] = p.Snapshot()
		out[i] = cm
	}
	if out == nil {
		return
	}
	data := make(map[string]any, len(ev.Data))
	for k, v := range ev.Data {
		data[k] = v
	}
	data["items"] = out
	ev.Data = data
}

// withProducts turns the products the items of event data carry back into what expressions see
// (a duration for replenish_after), in the data eventVars built.
func withProducts(data map[string]any) {
	items, ok := data["items"].([]any)
	if !ok {
		return
	}
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["product"] != nil {
			m["product"] = products.FromSnapshot(m["product"])
		}
	}
}

// lookup is what product() and the purchase-history functions of the customer's expressions and
// templates read, at the customer's moment.
func (b *batch) lookup(st *custState) *products.Lookup {
	if st.look == nil {
		st.look = &products.Lookup{Products: b.fs.Workspace.Products}
	}
	st.look.Now = st.now
	return st.look
}
