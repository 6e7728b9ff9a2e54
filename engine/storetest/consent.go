package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("SaveCustomers/Consent", testConsentRoundTrip)
}

func granted(b bool) *bool { return &b }

// consentCustomer has an answer on every channel: given, withdrawn, and never asked (null), each
// with the moment and the event that set it.
func consentCustomer(id string) *store.Customer {
	lima := time.FixedZone("PET", -5*3600)
	return &store.Customer{
		ID: id, Attrs: map[string]any{"email": "ana@example.com"}, CreatedAt: t0,
		Consent: map[string]store.Consent{
			"email": {Granted: granted(false), At: t0.Add(-time.Hour), EventID: "afterglow/unsubscribe/m1/1", EventType: "consent.updated"},
			"sms":   {Granted: granted(true), At: time.Date(2025, 10, 14, 9, 30, 0, 0, lima), EventID: "shopify/s/order/1/customer", EventType: "customer.updated"},
			"push":  {Granted: nil, At: t0, EventID: "e3", EventType: "customer.created"},
		},
	}
}

// testConsentRoundTrip: a customer's consent comes back per channel with its value, its moment
// (to the microsecond, in UTC) and the event that set it; a save without consent clears it.
func testConsentRoundTrip(t *testing.T, st store.Store) {
	in := consentCustomer("ana")
	in.Consent["email"] = store.Consent{Granted: granted(false), At: t0.Add(-time.Hour + 123456789*time.Nanosecond),
		EventID: "afterglow/unsubscribe/m1/1", EventType: "consent.updated"}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, []string{"ana", "bare"}, t0); err != nil {
			return err
		}
		return tx.SaveCustomers(ctx, []*store.Customer{in, {ID: "bare", Attrs: map[string]any{}, CreatedAt: t0}})
	})
	want := consentCustomer("ana")
	want.Consent["email"] = store.Consent{Granted: granted(false), At: t0.Add(-time.Hour + 123456*time.Microsecond),
		EventID: "afterglow/unsubscribe/m1/1", EventType: "consent.updated"}
	want.Consent["sms"] = store.Consent{Granted: granted(true), At: time.Date(2025, 10, 14, 14, 30, 0, 0, time.UTC),
		EventID: "shopify/s/order/1/customer", EventType: "customer.updated"}
	got, err := st.Customer(ctxT(t), "ana")
	must(t, err)
	eqCustomer(t, "customer with consent", got, want)
	for ch, c := range got.Consent {
		if c.At.Location() != time.UTC {
			t.Errorf("consent %s: time %v not in UTC", ch, c.At)
		}
	}
	bare, err := st.Customer(ctxT(t), "bare")
	must(t, err)
	if bare.Consent != nil {
		t.Errorf("a customer never asked has consent %v; want none", bare.Consent)
	}

	// What a locked customer carries is what was saved, and a caller changing it changes nothing stored.
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"ana"}, t0)
		if err != nil {
			return err
		}
		eqCustomer(t, "customer locked", cs[0], want)
		return nil
	})
	got.Consent["email"] = store.Consent{Granted: granted(true)}
	*got.Consent["sms"].Granted = false
	again, err := st.Customer(ctxT(t), "ana")
	must(t, err)
	eqCustomer(t, "customer after a caller changed its copy", again, want)

	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"ana"}, t0)
		if err != nil {
			return err
		}
		cs[0].Consent = nil
		return tx.SaveCustomers(ctx, cs)
	})
	cleared, err := st.Customer(ctxT(t), "ana")
	must(t, err)
	if cleared.Consent != nil {
		t.Errorf("consent saved as none came back as %v", cleared.Consent)
	}
}
