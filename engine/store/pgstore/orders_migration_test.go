package pgstore_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/engine/store/pgstore"
)

// A database from before the orders ledger gets one built from the order events it stored, and
// its customers' metrics counted again from it: cancelled orders no longer count, refunds come
// off their order, an order placed twice counts once.
func TestMigrateBuildsTheOrdersLedger(t *testing.T) {
	ctx := context.Background()
	opts, url := unmigrated(t)
	pool, err := pgstore.Connect(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	stmts := []string{`CREATE SCHEMA ` + opts.Schema,
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`}
	for _, m := range pgstore.Migrations() {
		if m.Name == "orders" {
			break
		}
		stmts = append(stmts, m.SQL, `INSERT INTO schema_migrations (version, name) VALUES (`+strconv.Itoa(m.Version)+`, '`+m.Name+`')`)
	}
	stmts = append(stmts,
		// The metrics as they were counted before: every order.placed, refunds off the total.
		`INSERT INTO customers (id, created_at, orders_count, total_spent, first_order_at, last_order_at) VALUES
			('ana', '2025-01-01Z', 4, 220.00, '2025-01-02Z', '2025-01-05Z'),
			('bob', '2025-01-01Z', 1, 10, '2025-01-02Z', '2025-01-02Z'),
			('cid', '2025-01-01Z', 0, 0, NULL, NULL)`,
		`INSERT INTO events (customer_id, id, source, type, time, data, stored_at) VALUES
			('ana', 'e1', 'shop', 'order.placed', '2025-01-02Z', '{"order_id": "1", "total": "100.00", "currency": "PEN",
				"items": [{"product_id": 7712, "sku": "SER-30", "quantity": 2, "price": 50.00}, {"sku": "X", "quantity": "many"}, "junk"]}', '2025-01-02Z'),
			('ana', 'e2', 'shop', 'order.refunded', '2025-01-03Z', '{"order_id": "1", "amount": 30}', '2025-01-03Z'),
			('ana', 'e3', 'shop', 'order.placed', '2025-01-04Z', '{"order_id": 2, "total": 60, "currency": "PEN"}', '2025-01-04Z'),
			('ana', 'e4', 'shop', 'order.cancelled', '2025-01-04T12:00:00Z', '{"order_id": "2"}', '2025-01-04Z'),
			('ana', 'e5', 'shop', 'order.placed', '2025-01-05Z', '{"order_id": "3", "total": 40, "currency": "USD"}', '2025-01-05Z'),
			('ana', 'e6', 'shop', 'order.placed', '2025-01-05T01:00:00Z', '{"order_id": "3", "total": 45, "currency": "USD"}', '2025-01-06Z'),
			('ana', 'e7', 'shop', 'order.refunded', '2025-01-06Z', '{"order_id": "3", "amount": "not money"}', '2025-01-06Z'),
			('bob', 'e8', 'shop', 'order.cancelled', '2025-01-01Z', '{"order_id": "9"}', '2025-01-01Z'),
			('bob', 'e9', 'shop', 'order.placed', '2025-01-02Z', '{"order_id": "9", "total": 10, "currency": "PEN"}', '2025-01-02Z'),
			('cid', 'e10', 'shop', 'order.refunded', '2025-01-02Z', '{"order_id": "77", "amount": 5}', '2025-01-02Z'),
			('cid', 'e11', 'shop', 'order.placed', '2025-01-03Z', '{"total": 8, "currency": "PEN"}', '2025-01-03Z')`,
	)
	for _, q := range stmts {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := pgstore.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]string{
		"ana": "2 115 2025-01-02 2025-01-05 | 1 2025-01-02 - PEN 100 30 [7712 SER-30 2 50, X 1 0] #1 2025-01-02 - | " +
			"2 2025-01-04 2025-01-04 PEN 60 0 [] #0 - - | 3 2025-01-05 - USD 45 0 [] #2 2025-01-02 2025-01-02",
		"bob": "0 0 - - | 9 2025-01-02 2025-01-01 PEN 10 0 [] #0 - -",
		"cid": "1 8 2025-01-03 2025-01-03 | 77 - - 0 5 [] #0 - - | event:e11 2025-01-03 - PEN 8 0 [] #1 2025-01-03 -",
	}
	day := func(t interface {
		IsZero() bool
		Format(string) string
	}) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format("2006-01-02")
	}
	for id, w := range want {
		c, err := st.Customer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{strconv.Itoa(c.OrdersCount) + " " + c.TotalSpent.String() + " " + day(c.FirstOrderAt) + " " + day(c.LastOrderAt)}
		os, err := st.CustomerOrders(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range os {
			var items []string
			for _, it := range o.Items {
				items = append(items, strings.TrimSpace(it.ProductID+" "+it.SKU+" "+strconv.Itoa(it.Quantity)+" "+it.Price.String()))
			}
			got = append(got, o.OrderID+" "+day(o.PlacedAt)+" "+day(o.CancelledAt)+" "+strings.TrimSpace(o.Currency+" "+o.Total.String())+" "+
				o.Refunded.String()+" ["+strings.Join(items, ", ")+"] #"+strconv.Itoa(o.Seq)+" "+day(o.FirstAt)+" "+day(o.PrevAt))
		}
		if g := strings.Join(got, " | "); g != w {
			t.Errorf("%s after the upgrade:\n got %s\nwant %s", id, g, w)
		}
	}
}
