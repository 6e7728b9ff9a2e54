package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/shopspring/decimal"
)

func init() {
	register("Orders/RoundTrip", testOrdersRoundTrip)
	register("Orders/Replace", testOrdersReplace)
	register("Orders/ByCustomers", testOrdersByCustomers)
	register("Orders/Rollback", testOrdersRollback)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// fullOrder has every field set, with amounts whose trailing zeros and long fractions must survive
// as values.
func fullOrder(customer, id string) *store.Order {
	return &store.Order{
		CustomerID: customer, OrderID: id, PlacedAt: t0.Add(-48 * time.Hour), Currency: "PEN",
		Total: dec("149.80"), Refunded: dec("59.90"), CancelledAt: t0.Add(-24*time.Hour + 123456*time.Microsecond),
		Items: []store.OrderItem{
			{ProductID: "7712", SKU: "SER-VITC-30", Quantity: 1, Price: dec("89.90")},
			{ProductID: "7731", SKU: "", Quantity: 3, Price: dec("19.966666666666666667")},
			{Quantity: 0, Price: dec("0")},
		},
		Seq: 2, FirstAt: t0.Add(-72 * time.Hour), PrevAt: t0.Add(-60*time.Hour + 7*time.Microsecond),
	}
}

// eqOrders compares orders field by field, amounts by value: 89.90 and 89.9 are one amount.
func eqOrders(t *testing.T, what string, got, want []*store.Order) {
	t.Helper()
	key := func(o *store.Order) string { return o.CustomerID + "/" + o.OrderID }
	if len(got) != len(want) {
		t.Errorf("%s: %d orders %q, want %d %q", what, len(got), ids(got, key), len(want), ids(want, key))
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		where := fmt.Sprintf("%s: order %s", what, key(w))
		if key(g) != key(w) {
			t.Errorf("%s: order %d is %s", where, i, key(g))
			continue
		}
		if !g.PlacedAt.Equal(w.PlacedAt) || g.PlacedAt.Location() != time.UTC && !g.PlacedAt.IsZero() ||
			!g.CancelledAt.Equal(w.CancelledAt) || g.CancelledAt.Location() != time.UTC && !g.CancelledAt.IsZero() {
			t.Errorf("%s: placed %v cancelled %v, want %v and %v in UTC", where, g.PlacedAt, g.CancelledAt, w.PlacedAt, w.CancelledAt)
		}
		if g.Seq != w.Seq || !g.FirstAt.Equal(w.FirstAt) || !g.PrevAt.Equal(w.PrevAt) {
			t.Errorf("%s: seq %d first %v previous %v, want %d, %v and %v", where, g.Seq, g.FirstAt, g.PrevAt, w.Seq, w.FirstAt, w.PrevAt)
		}
		if g.Currency != w.Currency || !g.Total.Equal(w.Total) || !g.Refunded.Equal(w.Refunded) {
			t.Errorf("%s: %s %s refunded %s, want %s %s refunded %s", where, g.Currency, g.Total, g.Refunded, w.Currency, w.Total, w.Refunded)
		}
		if len(g.Items) != len(w.Items) {
			t.Errorf("%s: items %+v, want %+v", where, g.Items, w.Items)
			continue
		}
		for k := range w.Items {
			gi, wi := g.Items[k], w.Items[k]
			if gi.ProductID != wi.ProductID || gi.SKU != wi.SKU || gi.Quantity != wi.Quantity || !gi.Price.Equal(wi.Price) {
				t.Errorf("%s: item %d is %+v, want %+v", where, k, gi, wi)
			}
		}
	}
}

func saveOrders(t *testing.T, st store.Store, os ...*store.Order) {
	t.Helper()
	cids := map[string]bool{}
	for _, o := range os {
		cids[o.CustomerID] = true
	}
	var list []string
	for id := range cids {
		list = append(list, id)
	}
	sort.Strings(list)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, list, t0); err != nil {
			return err
		}
		return tx.SaveOrders(ctx, os)
	})
}

func readOrders(t *testing.T, st store.Store, customerIDs ...string) []*store.Order {
	t.Helper()
	var out []*store.Order
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = tx.Orders(ctx, customerIDs)
		return err
	})
	return out
}

func testOrdersRoundTrip(t *testing.T, st store.Store) {
	// A refund that came before its order: nothing placed yet, nothing bought.
	early := &store.Order{CustomerID: "ana", OrderID: "1002", Refunded: dec("10.00")}
	// An order at a time with nanoseconds and in another zone comes back in UTC, to the microsecond.
	lima := time.FixedZone("Lima", -5*3600)
	odd := &store.Order{CustomerID: "ana", OrderID: "1003", PlacedAt: t0.In(lima).Add(1500 * time.Nanosecond), Currency: "USD", Total: dec("0.10")}
	saveOrders(t, st, fullOrder("ana", "1001"), early, odd)
	oddBack := *odd
	oddBack.PlacedAt = t0.Add(time.Microsecond)
	want := []*store.Order{fullOrder("ana", "1001"), early, &oddBack}
	eqOrders(t, "in a transaction", readOrders(t, st, "ana"), want)
	got, err := st.CustomerOrders(ctxT(t), "ana")
	must(t, err)
	eqOrders(t, "read outside one", got, want)
	for _, o := range got {
		if o.Items == nil && o.OrderID == "1001" || o.Items != nil && o.OrderID != "1001" {
			t.Errorf("order %s: items %v; want none unless given", o.OrderID, o.Items)
		}
	}
	// A caller changing what it got changes nothing stored.
	got[0].Items[0].SKU = "changed"
	got[0].Total = dec("1")
	again, err := st.CustomerOrders(ctxT(t), "ana")
	must(t, err)
	eqOrders(t, "after the caller changed its copy", again, want)
	none, err := st.CustomerOrders(ctxT(t), "nobody")
	must(t, err)
	if len(none) != 0 {
		t.Errorf("orders of an unknown customer: %v", none)
	}
}

func testOrdersReplace(t *testing.T, st store.Store) {
	first := &store.Order{CustomerID: "ana", OrderID: "1001", PlacedAt: t0, Currency: "PEN", Total: dec("50.00"),
		Items: []store.OrderItem{{ProductID: "p1", SKU: "S1", Quantity: 2, Price: dec("25.00")}}}
	other := &store.Order{CustomerID: "bob", OrderID: "1001", PlacedAt: t0, Currency: "PEN", Total: dec("7")}
	saveOrders(t, st, first, other)
	// The order is cancelled, refunded and its items dropped, in a later transaction.
	changed := *first
	changed.CancelledAt, changed.Refunded, changed.Items = t0.Add(time.Hour), dec("20.5"), nil
	saveOrders(t, st, &changed)
	eqOrders(t, "ana", readOrders(t, st, "ana"), []*store.Order{&changed})
	eqOrders(t, "bob's order of the same id", readOrders(t, st, "bob"), []*store.Order{other})
	// Of two versions of one order in one call, the last is kept.
	v1, v2 := *other, *other
	v1.Total, v2.Total = dec("8"), dec("9")
	saveOrders(t, st, &v1, &v2)
	eqOrders(t, "the last of two versions", readOrders(t, st, "bob"), []*store.Order{&v2})
}

func testOrdersByCustomers(t *testing.T, st store.Store) {
	var all []*store.Order
	// Ids that sort differently as bytes and as text or numbers.
	for _, c := range []string{"C", "a", "b"} {
		for _, id := range []string{"9", "10", "B", "a"} {
			all = append(all, &store.Order{CustomerID: c, OrderID: id, PlacedAt: t0, Currency: "PEN", Total: dec("1")})
		}
	}
	saveOrders(t, st, all...)
	got := readOrders(t, st, "C", "b", "nobody")
	want := []string{"C/10", "C/9", "C/B", "C/a", "b/10", "b/9", "b/B", "b/a"}
	sameIDs(t, "orders of two customers and one without any", ids(got, func(o *store.Order) string { return o.CustomerID + "/" + o.OrderID }), want)
	if got := readOrders(t, st); len(got) != 0 {
		t.Errorf("orders of no customer: %d", len(got))
	}
}

func testOrdersRollback(t *testing.T, st store.Store) {
	saveOrders(t, st, &store.Order{CustomerID: "ana", OrderID: "1", PlacedAt: t0, Total: dec("5")})
	boom := errors.New("boom")
	ctx := ctxT(t)
	err := st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, []string{"ana"}, t0); err != nil {
			return err
		}
		if err := tx.SaveOrders(ctx, []*store.Order{
			{CustomerID: "ana", OrderID: "1", PlacedAt: t0, Total: dec("5"), CancelledAt: t0},
			{CustomerID: "ana", OrderID: "2", PlacedAt: t0, Total: dec("6")},
		}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}
	eqOrders(t, "after a rollback", readOrders(t, st, "ana"), []*store.Order{{CustomerID: "ana", OrderID: "1", PlacedAt: t0, Total: dec("5")}})
}
