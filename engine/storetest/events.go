package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("InsertEvents/Dedupe", testEventDedupe)
	register("InsertEvents/RoundTrip", testEventRoundTrip)
	register("CustomerOfOrder", testCustomerOfOrder)
	register("Events", testEvents)
}

func testEventDedupe(t *testing.T, st store.Store) {
	a1 := ev("alice", "e1", "order.placed", t0, map[string]any{"order_id": "1"})
	a2 := ev("alice", "e2", "order.delivered", t0, nil)
	b1 := ev("bob", "e1", "order.placed", t0, map[string]any{"order_id": "2"}) // same id, other customer: another event
	again := a1
	again.Type = "order.cancelled" // a redelivery is dropped whatever it carries
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		fresh, err := tx.InsertEvents(ctx, []store.StoredEvent{a1, a2, again, b1})
		if err != nil {
			return err
		}
		deepEqual(t, "fresh in one batch", fresh, []bool{true, true, false, true})
		return nil
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		fresh, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("carol", "e9", "x.y", t0, nil), again, b1})
		if err != nil {
			return err
		}
		deepEqual(t, "fresh across transactions", fresh, []bool{true, false, false})
		fresh, err = tx.InsertEvents(ctx, nil)
		if err != nil || len(fresh) != 0 {
			return fail("empty insert: %v %v", fresh, err)
		}
		return nil
	})
	ctx := ctxT(t)
	got, err := st.Event(ctx, "alice", "e1")
	must(t, err)
	if got.Type != "order.placed" {
		t.Errorf("the first copy must be kept; got type %q", got.Type)
	}
	if _, err := st.Event(ctx, "alice", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown event: got %v, want store.ErrNotFound", err)
	}
	if _, err := st.Event(ctx, "carol", "e1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event of another customer: got %v, want store.ErrNotFound", err)
	}
}

func testEventRoundTrip(t *testing.T, st store.Store) {
	data := map[string]any{
		"order_id": "1001",
		"total":    num("59.90"),
		"big":      num("12345678901234567890123"),
		"neg":      num("-0.5"),
		"items":    []any{map[string]any{"sku": "S-1", "quantity": num("2"), "price": num("29.95")}},
		"html":     "<b>Gracias & adiós</b> \u00e9\u4e16",
		"flag":     true,
		"none":     nil,
		"empty":    map[string]any{},
		"list":     []any{},
	}
	e := ev("alice", "e1", "order.placed", time.Date(2025, 10, 14, 15, 0, 0, 123456789, time.FixedZone("PET", -5*3600)), data)
	e.DataContentType = "application/json"
	e.Depth = 3
	noData := ev("alice", "e2", "order.delivered", t0, nil)
	emptyData := ev("alice", "e3", "order.delivered", t0, map[string]any{})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertEvents(ctx, []store.StoredEvent{e, noData, emptyData})
		return err
	})
	ctx := ctxT(t)
	got, err := st.Event(ctx, "alice", "e1")
	must(t, err)
	want := e
	want.Time = time.Date(2025, 10, 14, 20, 0, 0, 123456000, time.UTC)
	deepEqual(t, "event", *got, want)
	if got.Time.Location() != time.UTC {
		t.Errorf("event time in %v, want UTC", got.Time.Location())
	}
	got, err = st.Event(ctx, "alice", "e2")
	must(t, err)
	if got.Data != nil {
		t.Errorf("event without data: got data %#v, want nil", got.Data)
	}
	got, err = st.Event(ctx, "alice", "e3")
	must(t, err)
	if got.Data == nil || len(got.Data) != 0 {
		t.Errorf("event with empty data: got %#v, want an empty map", got.Data)
	}
}

func testCustomerOfOrder(t *testing.T, st store.Store) {
	placed := func(subject, id, source string, at time.Time, orderID any) store.StoredEvent {
		e := ev(subject, id, "order.placed", at, map[string]any{"order_id": orderID, "total": num("10.00")})
		e.Source = source
		return e
	}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		other := ev("carol", "f1", "order.fulfilled", t0.Add(-time.Hour), map[string]any{"order_id": "1001"})
		other.Source = "shopify/aurora"
		_, err := tx.InsertEvents(ctx, []store.StoredEvent{
			other,
			placed("alice", "o1", "shopify/aurora", t0, "1001"),
			placed("bob", "o2", "woocommerce/aurora", t0, "1001"),
			placed("dave", "o3", "shopify/aurora", t0, num("1002")),
			placed("erin", "o4", "shopify/aurora", t0.Add(time.Hour), "2000"),
			placed("frank", "o5", "shopify/aurora", t0.Add(-time.Hour), "2000"),
			placed("gina", "o6", "shopify/aurora", t0, map[string]any{"nested": "3000"}),
		})
		return err
	})
	for _, tc := range []struct {
		source, order, want string
		found               bool
	}{
		{"shopify/aurora", "1001", "alice", true},
		{"woocommerce/aurora", "1001", "bob", true},
		{"shopify/aurora", "1002", "dave", true},
		{"shopify/aurora", "2000", "frank", true},
		{"shopify/aurora", "9999", "", false},
		{"shopify/other", "1001", "", false},
	} {
		got, found, err := st.CustomerOfOrder(ctxT(t), tc.source, tc.order)
		must(t, err)
		if got != tc.want || found != tc.found {
			t.Errorf("CustomerOfOrder(%s, %s) = %q %v, want %q %v", tc.source, tc.order, got, found, tc.want, tc.found)
		}
	}
}

// testEvents reads one customer's events oldest first, by type, and the latest few.
func testEvents(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertEvents(ctx, []store.StoredEvent{
			ev("alice", "c", "order.placed", t0.Add(2*time.Hour), nil),
			ev("alice", "a", "order.placed", t0, nil),
			ev("alice", "b", "order.delivered", t0.Add(time.Hour), nil),
			ev("alice", "d", "order.delivered", t0.Add(time.Hour), nil), // same time: by id
			ev("bob", "a", "order.placed", t0, nil),
		})
		return err
	})
	ctx := ctxT(t)
	ids := func(f store.EventFilter) []string {
		evs, err := st.Events(ctx, f)
		must(t, err)
		out := []string{}
		for _, e := range evs {
			if e.Subject != f.CustomerID {
				t.Errorf("%+v: event %s of %s", f, e.ID, e.Subject)
			}
			out = append(out, e.ID)
		}
		return out
	}
	deepEqual(t, "all of alice", ids(store.EventFilter{CustomerID: "alice"}), []string{"a", "b", "d", "c"})
	deepEqual(t, "alice's orders", ids(store.EventFilter{CustomerID: "alice", Type: "order.placed"}), []string{"a", "c"})
	deepEqual(t, "alice's latest two", ids(store.EventFilter{CustomerID: "alice", Limit: 2}), []string{"d", "c"})
	deepEqual(t, "unknown customer", ids(store.EventFilter{CustomerID: "nobody"}), []string{})
}
