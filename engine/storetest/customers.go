package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/shopspring/decimal"
)

func init() {
	register("LockCustomers/Create", testLockCustomersCreate)
	register("SaveCustomers/RoundTrip", testCustomerRoundTrip)
	register("SaveCustomers/Decimal", testDecimal)
	register("SaveCustomers/Times", testTimes)
	register("SaveCustomers/Upsert", testCustomerUpsert)
	registerConcurrent("Concurrent/LockCustomersWaits", testLockCustomersWaits)
}

func testLockCustomersCreate(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"a", "c"}, t0)
		if err != nil {
			return err
		}
		sameIDs(t, "locked", customerIDs(cs), []string{"a", "c"})
		for _, c := range cs {
			if !c.New || !c.CreatedAt.Equal(t0) || c.Attrs == nil || len(c.Attrs) != 0 || c.OrdersCount != 0 || !c.TotalSpent.IsZero() || !c.NextWakeAt.IsZero() {
				t.Errorf("new customer %+v: want New, CreatedAt now, empty non-nil attributes, no orders, no wake time", c)
			}
		}
		return tx.SaveCustomers(ctx, cs)
	})
	later := t0.Add(time.Hour)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"a", "b", "c", "d"}, later)
		if err != nil {
			return err
		}
		sameIDs(t, "locked", customerIDs(cs), []string{"a", "b", "c", "d"})
		for _, c := range cs {
			wantNew := c.ID == "b" || c.ID == "d"
			if c.New != wantNew {
				t.Errorf("customer %s: New %v, want %v", c.ID, c.New, wantNew)
			}
			if want := map[bool]time.Time{true: later, false: t0}[wantNew]; !c.CreatedAt.Equal(want) {
				t.Errorf("customer %s: CreatedAt %v, want %v", c.ID, c.CreatedAt, want)
			}
		}
		return nil
	})
	// LockCustomers creates even when the transaction saves nothing else.
	c, err := st.Customer(ctxT(t), "d")
	must(t, err)
	if c.New {
		t.Errorf("a customer read back must not be New")
	}
	if _, err := st.Customer(ctxT(t), "zz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown customer: got %v, want store.ErrNotFound", err)
	}
}

func fullCustomer(id string) *store.Customer {
	return &store.Customer{
		ID: id,
		Attrs: map[string]any{
			"email": "laura@example.com", "first_name": "Laura", "locale": "es", "timezone": "America/Lima",
			"consent":        map[string]any{"email": true, "sms": false, "push": nil},
			"loyalty_points": num("1250"), "ratio": num("0.125"), "shopify_id": num("7390123456789012345678"),
			"tags": []any{"vip", "es"}, "birthday": "1990-05-02",
		},
		CreatedAt:    t0.Add(-48 * time.Hour),
		OrdersCount:  3,
		TotalSpent:   decimal.RequireFromString("179.70"),
		FirstOrderAt: t0.Add(-24 * time.Hour),
		LastOrderAt:  t0,
		Sends:        []store.SendMark{{At: t0.Add(-time.Hour), Channel: "email", Category: "marketing"}, {At: t0, Channel: "sms", Category: "marketing", Priority: -1}},
		Dates:        map[string]time.Time{"birthday": time.Date(2026, 5, 2, 14, 0, 0, 0, time.UTC), "anniversary": time.Date(2026, 10, 12, 15, 0, 0, 0, time.UTC)},
		DatesVersion: "dv1",
		NextWakeAt:   t0.Add(72 * time.Hour),
	}
}

func testCustomerRoundTrip(t *testing.T, st store.Store) {
	in := fullCustomer("laura")
	bare := &store.Customer{ID: "bare", Attrs: map[string]any{}, CreatedAt: t0}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, []string{"bare", "laura"}, t0); err != nil {
			return err
		}
		return tx.SaveCustomers(ctx, []*store.Customer{bare, in})
	})
	got, err := st.Customer(ctxT(t), "laura")
	must(t, err)
	eqCustomer(t, "customer", got, fullCustomer("laura"))
	got, err = st.Customer(ctxT(t), "bare")
	must(t, err)
	eqCustomer(t, "customer without orders, sends or dates", got, bare)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"laura"}, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		eqCustomer(t, "customer locked", cs[0], fullCustomer("laura"))
		return nil
	})
	// A caller changing what it got changes nothing stored.
	got.Attrs["email"] = "changed"
	again, err := st.Customer(ctxT(t), "bare")
	must(t, err)
	if again.Attrs["email"] != nil {
		t.Errorf("the store shares its maps with callers")
	}
}

func testDecimal(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"d"}, t0)
		if err != nil {
			return err
		}
		cs[0].TotalSpent = decimal.RequireFromString("0.10")
		return tx.SaveCustomers(ctx, cs)
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"d"}, t0)
		if err != nil {
			return err
		}
		cs[0].TotalSpent = cs[0].TotalSpent.Add(decimal.RequireFromString("0.20"))
		return tx.SaveCustomers(ctx, cs)
	})
	c, err := st.Customer(ctxT(t), "d")
	must(t, err)
	if !c.TotalSpent.Equal(decimal.RequireFromString("0.30")) || c.TotalSpent.String() != "0.3" {
		t.Errorf("0.10 + 0.20 = %s, want exactly 0.30", c.TotalSpent)
	}
	big := decimal.RequireFromString("123456789012345678901234567890.123456789")
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		c.TotalSpent = big
		return tx.SaveCustomers(ctx, []*store.Customer{c})
	})
	c, err = st.Customer(ctxT(t), "d")
	must(t, err)
	if !c.TotalSpent.Equal(big) {
		t.Errorf("total_spent %s, want %s", c.TotalSpent, big)
	}
}

func testTimes(t *testing.T, st store.Store) {
	lima := time.FixedZone("PET", -5*3600)
	at := time.Date(2025, 10, 14, 15, 0, 0, 123456789, lima) // 20:00:00.123456789Z
	want := time.Date(2025, 10, 14, 20, 0, 0, 123456000, time.UTC)
	old := time.Date(1969, 7, 20, 20, 17, 40, 999999999, time.UTC)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"t"}, at)
		if err != nil {
			return err
		}
		c := cs[0]
		c.FirstOrderAt, c.LastOrderAt, c.NextWakeAt = old, at, at
		if err := tx.SaveCustomers(ctx, cs); err != nil {
			return err
		}
		j := journey("t", "j", "f", store.Active, at)
		j.WakeAt, j.GoalUntil = at, at.Add(time.Hour)
		if err := tx.SaveJourneys(ctx, []*store.Journey{j}); err != nil {
			return err
		}
		m := newMessage("t", "m", store.Pending, at)
		m.CreatedAt = at
		return tx.InsertMessages(ctx, []*store.Message{m})
	})
	check := func(what string, got, want time.Time) {
		t.Helper()
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: got %s, want %s (the microsecond, in UTC)", what, got.Format(time.RFC3339Nano+" MST"), want.Format(time.RFC3339Nano))
		}
	}
	c, err := st.Customer(ctxT(t), "t")
	must(t, err)
	check("created_at", c.CreatedAt, want)
	check("first_order_at before 1970", c.FirstOrderAt, time.Date(1969, 7, 20, 20, 17, 40, 999999000, time.UTC))
	check("last_order_at", c.LastOrderAt, want)
	check("next_wake_at", c.NextWakeAt, want)
	js, err := st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "t"})
	must(t, err)
	check("entered_at", js[0].EnteredAt, want)
	check("wake_at", js[0].WakeAt, want)
	check("goal_until", js[0].GoalUntil, want.Add(time.Hour))
	if !js[0].EndedAt.IsZero() || !js[0].ConvertedAt.IsZero() {
		t.Errorf("unset times must come back zero: %v %v", js[0].EndedAt, js[0].ConvertedAt)
	}
	ms, err := st.Messages(ctxT(t), store.MessageFilter{CustomerID: "t"})
	must(t, err)
	check("send_at", ms[0].SendAt, want)
	check("message created_at", ms[0].CreatedAt, want)
	// The wake time was cut, not rounded: at the instant stored it is due, a microsecond before it is not.
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, want.Add(-time.Microsecond), 10)
		if err != nil || len(cs) != 0 {
			return fail("claimed %v before its time (%v)", customerIDs(cs), err)
		}
		cs, err = tx.ClaimDue(ctx, want, 10)
		if err != nil || len(cs) != 1 {
			return fail("not claimed at its time: %v (%v)", customerIDs(cs), err)
		}
		return nil
	})
}

func testCustomerUpsert(t *testing.T, st store.Store) {
	c := fullCustomer("u")
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, []string{"u"}, t0); err != nil {
			return err
		}
		if err := tx.SaveCustomers(ctx, []*store.Customer{c}); err != nil {
			return err
		}
		return tx.SaveCustomers(ctx, []*store.Customer{c})
	})
	got, err := st.Customer(ctxT(t), "u")
	must(t, err)
	eqCustomer(t, "customer saved twice", got, fullCustomer("u"))
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		first := fullCustomer("u")
		first.OrdersCount = 10
		second := fullCustomer("u")
		second.OrdersCount = 11
		second.Attrs = map[string]any{"email": "new@example.com"}
		second.Sends, second.Dates, second.DatesVersion, second.NextWakeAt = nil, nil, "", time.Time{}
		return tx.SaveCustomers(ctx, []*store.Customer{first, second})
	})
	got, err = st.Customer(ctxT(t), "u")
	must(t, err)
	if got.OrdersCount != 11 || !reflect.DeepEqual(got.Attrs, map[string]any{"email": "new@example.com"}) ||
		got.Sends != nil || got.Dates != nil || got.DatesVersion != "" || !got.NextWakeAt.IsZero() {
		t.Errorf("the last of two saves in one call must win, clearing what it cleared: %+v", got)
	}
}

func testLockCustomersWaits(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"b", "new"}, t0)
		if err != nil {
			return err
		}
		cs[0].Attrs["by"] = "first"
		cs[1].Attrs["by"] = "first"
		return tx.SaveCustomers(ctx, cs)
	})
	var got []*store.Customer
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"a", "b", "new"}, t0.Add(time.Hour))
		got = cs
		return err
	})
	stillWaiting(t, done, "LockCustomers of a customer another transaction holds")
	h.end(t, true)
	quickly(t, done, "LockCustomers")
	if len(got) != 3 {
		t.Fatalf("locked %q", customerIDs(got))
	}
	for _, c := range got[1:] {
		if c.Attrs["by"] != "first" {
			t.Errorf("customer %s locked after the other transaction committed does not show its change: %+v", c.ID, c.Attrs)
		}
		if c.New {
			t.Errorf("customer %s was created by the other transaction, not this one", c.ID)
		}
	}
}
