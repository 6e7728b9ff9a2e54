package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

const orderCols = `customer_id, order_id, placed_at, currency, total::text, refunded::text, cancelled_at, items`

func (t *txn) Orders(ctx context.Context, customerIDs []string) ([]*store.Order, error) {
	if len(customerIDs) == 0 {
		return nil, nil
	}
	os, err := collectOrders(t.tx.Query(ctx, `SELECT `+orderCols+` FROM orders WHERE customer_id = ANY($1::text[])
		ORDER BY customer_id, order_id`, customerIDs))
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	return os, nil
}

const saveOrders = `INSERT INTO orders (customer_id, order_id, placed_at, currency, total, refunded, cancelled_at, items)
SELECT u.customer_id, u.order_id, u.placed_at, u.currency, u.total::numeric, u.refunded::numeric, u.cancelled_at, u.items::json
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
	AS u(customer_id, order_id, placed_at, currency, total, refunded, cancelled_at, items)
ON CONFLICT (customer_id, order_id) DO UPDATE SET placed_at = excluded.placed_at, currency = excluded.currency,
	total = excluded.total, refunded = excluded.refunded, cancelled_at = excluded.cancelled_at, items = excluded.items`

func (t *txn) SaveOrders(ctx context.Context, os []*store.Order) error {
	os = lastByKey(os, func(o *store.Order) string { return o.CustomerID + "\x00" + o.OrderID })
	if len(os) == 0 {
		return nil
	}
	n := len(os)
	cids, ids, currencies, totals, refunded := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	placed, cancelled := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	items := make([]pgtype.Text, n)
	for i, o := range os {
		cids[i], ids[i], currencies[i] = o.CustomerID, o.OrderID, o.Currency
		totals[i], refunded[i] = o.Total.String(), o.Refunded.String()
		placed[i], cancelled[i] = nullTime(o.PlacedAt), nullTime(o.CancelledAt)
		if len(o.Items) > 0 {
			items[i] = pgtype.Text{String: string(encodeItems(o.Items)), Valid: true}
		}
	}
	if _, err := t.tx.Exec(ctx, saveOrders, cids, ids, placed, currencies, totals, refunded, cancelled, items); err != nil {
		return fmt.Errorf("save orders: %w", err)
	}
	return nil
}

func (s *Store) CustomerOrders(ctx context.Context, customerID string) ([]*store.Order, error) {
	os, err := collectOrders(s.pool.Query(ctx, `SELECT `+orderCols+` FROM orders WHERE customer_id = $1 ORDER BY order_id`, customerID))
	if err != nil {
		return nil, fmt.Errorf("read the orders of %s: %w", customerID, err)
	}
	return os, nil
}

func collectOrders(rows pgx.Rows, err error) ([]*store.Order, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Order
	for rows.Next() {
		var (
			o                 store.Order
			total, refunded   string
			placed, cancelled pgtype.Timestamptz
			items             []byte
		)
		if err := rows.Scan(&o.CustomerID, &o.OrderID, &placed, &o.Currency, &total, &refunded, &cancelled, &items); err != nil {
			return nil, err
		}
		o.PlacedAt, o.CancelledAt = fromNull(placed), fromNull(cancelled)
		var err error
		if o.Total, err = decimal.NewFromString(total); err != nil {
			return nil, fmt.Errorf("order %s of %s: total %q: %w", o.OrderID, o.CustomerID, total, err)
		}
		if o.Refunded, err = decimal.NewFromString(refunded); err != nil {
			return nil, fmt.Errorf("order %s of %s: refunded %q: %w", o.OrderID, o.CustomerID, refunded, err)
		}
		if o.Items, err = decodeItems(items); err != nil {
			return nil, fmt.Errorf("order %s of %s: items: %w", o.OrderID, o.CustomerID, err)
		}
		out = append(out, &o)
	}
	return out, rows.Err()
}

// Items: [{"product_id": "7712", "sku": "SER-30", "quantity": 1, "price": 89.90}], prices as exact
// JSON numbers, so that SQL reads them as numeric.
func encodeItems(items []store.OrderItem) []byte {
	b := []byte{'['}
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		w := newObj(b)
		w.str("product_id", it.ProductID)
		w.str("sku", it.SKU)
		w.key("quantity")
		w.b = strconv.AppendInt(w.b, int64(it.Quantity), 10)
		w.key("price")
		w.b = append(w.b, it.Price.String()...)
		b, _ = w.end() // strings and numbers always encode
	}
	return append(b, ']')
}

func decodeItems(b []byte) ([]store.OrderItem, error) {
	if b == nil {
		return nil, nil
	}
	v, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	a, _ := v.([]any)
	if len(a) == 0 {
		return nil, nil
	}
	out := make([]store.OrderItem, len(a))
	for i, e := range a {
		m, _ := e.(map[string]any)
		it := store.OrderItem{ProductID: getStr(m, "product_id"), SKU: getStr(m, "sku")}
		if q, ok := m["quantity"].(json.Number); ok {
			n, err := q.Int64()
			if err != nil {
				return nil, fmt.Errorf("quantity %q: %w", q, err)
			}
			it.Quantity = int(n)
		}
		if p, ok := m["price"].(json.Number); ok {
			if it.Price, err = decimal.NewFromString(string(p)); err != nil {
				return nil, fmt.Errorf("price %q: %w", p, err)
			}
		}
		out[i] = it
	}
	return out, nil
}
