package engine

import (
	"time"

	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// enrich gives each item of the event's data that names a product of the catalog that product,
// as the catalog has it when the event is stored: an order keeps what was bought, and a template
// shows it even after the product changes or leaves the catalog. An item with no product_id (the
// lines of an exported order) is matched by its sku and gets the product's id too, so that
// bought() finds it. The data is copied, never changed in place: it is the caller's.
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
		id := idText(m["product_id"])
		p := c.Get(id)
		if p == nil && id == "" {
			p = c.BySKU(idText(m["sku"]))
		}
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
		if id == "" {
			cm["product_id"] = p.ID // so that bought() finds it in the customer's orders
		}
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

// lookup is what product() and the purchase-history functions of the customer's expressions and
// templates read, at the customer's moment.
func (b *batch) lookup(st *custState) *products.Lookup {
	if st.look == nil {
		st.look = &products.Lookup{Products: b.fs.Workspace.Products, History: history{b, st}}
	}
	st.look.Now = st.now
	return st.look
}

// history answers the purchase-history functions from the customer's orders in the ledger. The
// first question about a customer whose orders the batch has not read reads those of every
// customer of the batch still unread, in one read: a schedule's audience asks about each customer
// of its batch in turn.
type history struct {
	b  *batch
	st *custState
}

func (h history) orders() map[string]*store.Order {
	if h.st.orders == nil && h.b.changeErr == nil {
		var ids []string
		for _, st := range h.b.order {
			if st.orders == nil {
				ids = append(ids, st.c.ID)
			}
		}
		if err := h.b.loadOrders(ids); err != nil {
			h.b.changeErr = err
		}
	}
	return h.st.orders
}

func (h history) Bought(productID string) bool { return orderHistory(h.orders()).Bought(productID) }

func (h history) LastBought(productID string) (time.Time, bool) {
	return orderHistory(h.orders()).LastBought(productID)
}

func (h history) OrdersWithin(d time.Duration, now time.Time) int {
	return orderHistory(h.orders()).OrdersWithin(d, now)
}

// orderHistory answers the purchase-history functions from a customer's orders by id.
type orderHistory map[string]*store.Order

func (h orderHistory) Bought(productID string) bool {
	_, ok := h.LastBought(productID)
	return ok
}

func (h orderHistory) LastBought(productID string) (time.Time, bool) {
	var last time.Time
	for _, o := range h {
		if !o.Counted() || !o.PlacedAt.After(last) {
			continue
		}
		for _, it := range o.Items {
			if it.ProductID == productID {
				last = o.PlacedAt
				break
			}
		}
	}
	return last, !last.IsZero()
}

func (h orderHistory) OrdersWithin(d time.Duration, now time.Time) int {
	n := 0
	for _, o := range h {
		if o.Counted() && o.PlacedAt.After(now.Add(-d)) && !o.PlacedAt.After(now) {
			n++
		}
	}
	return n
}

// OrderHistory answers bought(), last_bought() and orders_within() from a customer's orders, as
// the engine does: for explaining a decision outside the engine's transactions.
func OrderHistory(os []*store.Order) products.History {
	h := make(orderHistory, len(os))
	for _, o := range os {
		h[o.OrderID] = o
	}
	return h
}
