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

const orderCols = `customer_id, order_id, placed_at, currency, total::text, refunded::text, cancelled_at, items, seq, first_at, prev_at`

func (t *txn) Orders(ctx context.Context, customerIDs []string) ([]*store.Order, error) {
	if len(customerIDs) == 0 {
		return nil, nil
	}
	// "= ANY" rather than a join with the list: the index is then searched for each customer,
	// where a join planned on a young table's guesses merged the whole index with the list.
	os, err := collectOrders(t.tx.Query(ctx, `SELECT `+orderCols+` FROM orders WHERE customer_id = ANY($1::text[])
		ORDER BY customer_id, order_id`, customerIDs))
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	if t.ordersRead == nil {
		t.ordersRead, t.ordersHeld = map[string]bool{}, map[[2]string]bool{}
	}
	for _, id := range customerIDs {
		t.ordersRead[id] = true
	}
	for _, o := range os {
		t.ordersHeld[[2]string{o.CustomerID, o.OrderID}] = true
	}
	return os, nil
}

// SaveOrders appends with COPY the orders that cannot exist yet (of a customer this transaction
// created, or one whose orders it read and that was not among them: a customer's orders are only
// written under its lock) and upserts the others.
func (t *txn) SaveOrders(ctx context.Context, os []*store.Order) error {
	os = lastByKey(os, func(o *store.Order) string { return o.CustomerID + "\x00" + o.OrderID })
	var fresh, other []*store.Order
	for _, o := range os {
		k := [2]string{o.CustomerID, o.OrderID}
		if t.created[o.CustomerID] && !t.ordersHeld[k] || t.ordersRead[o.CustomerID] && !t.ordersHeld[k] {
			fresh = append(fresh, o)
		} else {
			other = append(other, o)
		}
	}
	if len(fresh) > 0 {
		if err := t.copyOrders(ctx, fresh); err != nil {
			return err
		}
	}
	if len(other) > 0 {
		if err := t.upsertOrders(ctx, other); err != nil {
			return err
		}
	}
	if t.ordersHeld == nil {
		t.ordersHeld = map[[2]string]bool{}
	}
	for _, o := range os {
		t.ordersHeld[[2]string{o.CustomerID, o.OrderID}] = true
	}
	return nil
}

var orderColumns = []string{"customer_id", "order_id", "placed_at", "currency", "total", "refunded", "cancelled_at", "items", "seq", "first_at", "prev_at"}

func (t *txn) copyOrders(ctx context.Context, os []*store.Order) error {
	row := make([]any, len(orderColumns))
	src := &rowSource{n: len(os), row: row}
	src.fill = func(i int) error {
		o := os[i]
		var items []byte // nil is NULL; one type for every row, so that pgx plans its encoding once
		if len(o.Items) > 0 {
			items = encodeItems(o.Items)
		}
		row[0], row[1], row[2], row[3] = o.CustomerID, o.OrderID, nullTime(o.PlacedAt), o.Currency
		row[4], row[5], row[6], row[7] = numeric(o.Total), numeric(o.Refunded), nullTime(o.CancelledAt), items
		row[8], row[9], row[10] = int32(o.Seq), nullTime(o.FirstAt), nullTime(o.PrevAt)
		return nil
	}
	if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{"orders"}, orderColumns, src); err != nil {
		return fmt.Errorf("save orders: %w", err)
	}
	return nil
}

const saveOrders = `INSERT INTO orders (customer_id, order_id, placed_at, currency, total, refunded, cancelled_at, items, seq, first_at, prev_at)
SELECT u.customer_id, u.order_id, u.placed_at, u.currency, u.total::numeric, u.refunded::numeric, u.cancelled_at, u.items::json,
	u.seq, u.first_at, u.prev_at
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[],
	$9::int[], $10::timestamptz[], $11::timestamptz[])
	AS u(customer_id, order_id, placed_at, currency, total, refunded, cancelled_at, items, seq, first_at, prev_at)
ON CONFLICT (customer_id, order_id) DO UPDATE SET placed_at = excluded.placed_at, currency = excluded.currency,
	total = excluded.total, refunded = excluded.refunded, cancelled_at = excluded.cancelled_at, items = excluded.items,
	seq = excluded.seq, first_at = excluded.first_at, prev_at = excluded.prev_at`

func (t *txn) upsertOrders(ctx context.Context, os []*store.Order) error {
	n := len(os)
	cids, ids, currencies, totals, refunded := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	placed, cancelled := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	first, prev := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	seq := make([]int32, n)
	items := make([]pgtype.Text, n)
	for i, o := range os {
		cids[i], ids[i], currencies[i] = o.CustomerID, o.OrderID, o.Currency
		totals[i], refunded[i] = o.Total.String(), o.Refunded.String()
		placed[i], cancelled[i] = nullTime(o.PlacedAt), nullTime(o.CancelledAt)
		seq[i], first[i], prev[i] = int32(o.Seq), nullTime(o.FirstAt), nullTime(o.PrevAt)
		if len(o.Items) > 0 {
			items[i] = pgtype.Text{String: string(encodeItems(o.Items)), Valid: true}
		}
	}
	if _, err := t.tx.Exec(ctx, saveOrders, cids, ids, placed, currencies, totals, refunded, cancelled, items,
		seq, first, prev); err != nil {
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
			first, prev       pgtype.Timestamptz
			items             []byte
		)
		if err := rows.Scan(&o.CustomerID, &o.OrderID, &placed, &o.Currency, &total, &refunded, &cancelled, &items,
			&o.Seq, &first, &prev); err != nil {
			return nil, err
		}
		o.PlacedAt, o.CancelledAt, o.FirstAt, o.PrevAt = fromNull(placed), fromNull(cancelled), fromNull(first), fromNull(prev)
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
		w.b = appendDecimal(w.b, it.Price)
		b, _ = w.end() // strings and numbers always encode
	}
	return append(b, ']')
}

func decodeItems(b []byte) ([]store.OrderItem, error) {
	return decodeObjects(b, func(m map[string]any) (store.OrderItem, error) {
		it := store.OrderItem{ProductID: getStr(m, "product_id"), SKU: getStr(m, "sku")}
		if q, ok := m["quantity"].(json.Number); ok {
			n, err := q.Int64()
			if err != nil {
				return it, fmt.Errorf("quantity %q: %w", q, err)
			}
			it.Quantity = int(n)
		}
		if p, ok := m["price"].(json.Number); ok {
			var err error
			if it.Price, err = decimal.NewFromString(string(p)); err != nil {
				return it, fmt.Errorf("price %q: %w", p, err)
			}
		}
		return it, nil
	})
}

// numeric is an amount as COPY sends it: digits and exponent, with no text to parse on either side.
func numeric(d decimal.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
}

// appendDecimal writes an amount as a JSON number without the detour through a big integer's text
// that decimal.String takes, for the amounts that fit in 64 bits: all real ones.
func appendDecimal(b []byte, d decimal.Decimal) []byte {
	exp := d.Exponent()
	if d.NumDigits() > 18 || exp > 0 || exp < -18 {
		return append(b, d.String()...)
	}
	c := d.CoefficientInt64()
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	digits := strconv.AppendInt(nil, c, 10)
	point := len(digits) + int(exp) // digits before the decimal point
	if exp == 0 {
		return append(b, digits...)
	}
	if point <= 0 {
		b = append(b, '0', '.')
		for ; point < 0; point++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:point]...)
	b = append(b, '.')
	return append(b, digits[point:]...)
}
