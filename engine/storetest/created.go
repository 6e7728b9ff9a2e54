package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("Created/WrittenTwiceInOneTransaction", testCreatedWrittenTwice)
}

// A customer created by a transaction has no journeys, messages or orders but those the
// transaction writes: writing one of them again in the same transaction updates it (a journey,
// an order) or leaves it as it was (a message), as for any customer.
func testCreatedWrittenTwice(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"nc"}, t0)
		if err != nil {
			return err
		}
		if !cs[0].New {
			t.Fatalf("the customer must be new")
		}
		j := journey("nc", "j1", "f", store.Active, t0)
		if err := tx.SaveJourneys(ctx, []*store.Journey{j}); err != nil {
			return err
		}
		done := *j
		done.Status, done.EndedAt = store.Completed, t0.Add(time.Minute)
		if err := tx.SaveJourneys(ctx, []*store.Journey{&done}); err != nil {
			return err
		}
		if err := tx.SaveJourneys(ctx, []*store.Journey{journey("nc", "j2", "f", store.Active, t0.Add(time.Second))}); err != nil {
			return err
		}
		open, err := tx.OpenJourneys(ctx, []string{"nc"}, t0)
		if err != nil {
			return err
		}
		sameIDs(t, "open journeys of a customer created in the transaction", journeyIDs(open), []string{"j2"})
		first := newMessage("nc", "m1", store.Pending, t0.Add(time.Hour))
		if err := tx.InsertMessages(ctx, []*store.Message{first}); err != nil {
			return err
		}
		again := newMessage("nc", "m1", store.Pending, t0.Add(2*time.Hour))
		again.Content.Subject = "changed"
		if err := tx.InsertMessages(ctx, []*store.Message{again, newMessage("nc", "m2", store.Pending, t0)}); err != nil {
			return err
		}
		o := &store.Order{CustomerID: "nc", OrderID: "1", PlacedAt: t0, Currency: "PEN", Total: dec("10"), Seq: 1, FirstAt: t0}
		if err := tx.SaveOrders(ctx, []*store.Order{o}); err != nil {
			return err
		}
		cancelled := *o
		cancelled.CancelledAt, cancelled.Seq, cancelled.FirstAt = t0.Add(time.Hour), 0, time.Time{}
		return tx.SaveOrders(ctx, []*store.Order{&cancelled})
	})
	js, err := st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "nc"})
	must(t, err)
	if len(js) != 2 || js[0].ID != "j1" || js[0].Status != store.Completed {
		t.Errorf("journeys %+v: want j1 once, completed, and j2", js)
	}
	ms, err := st.Messages(ctxT(t), store.MessageFilter{CustomerID: "nc"})
	must(t, err)
	if len(ms) != 2 || ms[0].ID != "m2" || ms[1].ID != "m1" || ms[1].Content.Subject != "Gracias, Laura" || !ms[1].SendAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("messages %+v: want m1 as first written, and m2", ms)
	}
	os, err := st.CustomerOrders(ctxT(t), "nc")
	must(t, err)
	if len(os) != 1 || os[0].CancelledAt.IsZero() || os[0].Seq != 0 {
		t.Errorf("orders %+v: want the one order, cancelled", os)
	}
}
