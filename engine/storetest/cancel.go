package storetest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() { register("CancelPending", testCancelPending) }

func testCancelPending(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	mk := func(customer, id, journey, channel, category, status string, at time.Time) *store.Message {
		m := newMessage(customer, id, status, at)
		m.JourneyID, m.Channel, m.Category = journey, channel, category
		return m
	}
	later := t0.Add(24 * time.Hour)
	ms := []*store.Message{
		mk("a", "j1-later", "j1", "email", "transactional", store.Pending, later), // its journey: cancelled
		mk("a", "j1-due", "j1", "email", "marketing", store.Pending, t0),          // due already: it left
		mk("a", "j1-sent", "j1", "email", "marketing", store.Sent, later),         // gone
		mk("a", "j1-leased", "j1", "email", "marketing", store.Sending, later),    // a dispatcher holds it
		mk("a", "j2-sms", "j2", "sms", "marketing", store.Pending, later),         // channel withdrawn: cancelled
		mk("a", "j2-sms-tx", "j2", "sms", "transactional", store.Pending, later),  // transactional: kept
		mk("a", "j2-email", "j2", "email", "marketing", store.Pending, later),     // other channel: kept
		mk("b", "b-j1", "j1", "sms", "marketing", store.Pending, later),           // other customer: kept
	}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.InsertMessages(ctx, ms) })
	var got []string
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, c := range []store.Cancel{
			{CustomerID: "a", JourneyIDs: []string{"j1"}, After: t0, Reason: "exited"},
			{CustomerID: "a", Channels: []string{"sms"}, After: t0, Reason: "consent"},
		} {
			out, err := tx.CancelPending(ctx, c)
			if err != nil {
				return err
			}
			for _, m := range out {
				if m.Status != store.Skipped || m.Reason != c.Reason {
					t.Errorf("returned %s as %s/%s", m.ID, m.Status, m.Reason)
				}
				got = append(got, m.ID)
			}
		}
		return nil
	})
	sameIDs(t, "cancelled", sortedCopy(got), []string{"j1-later", "j2-sms"})
	all, err := st.Messages(ctxT(t), store.MessageFilter{})
	must(t, err)
	want := map[string]string{"j1-later": "skipped exited", "j1-due": "pending ", "j1-sent": "sent ", "j1-leased": "sending ",
		"j2-sms": "skipped consent", "j2-sms-tx": "pending ", "j2-email": "pending ", "b-j1": "pending "}
	for _, m := range all {
		if got := m.Status + " " + m.Reason; got != want[m.ID] {
			t.Errorf("%s: %q, want %q", m.ID, got, want[m.ID])
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func init() { register("CancelPendingWithinATransaction", testCancelWithinATransaction) }

// A transaction that read its customers' open journeys cancels what they have waiting, whether
// the message was stored before, written by the transaction itself, or belongs to a customer
// whose journeys it read only after its first cancel.
func testCancelWithinATransaction(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}, "c": {}})
	later := t0.Add(24 * time.Hour)
	mk := func(customer, id, journey string) *store.Message {
		m := newMessage(customer, id, store.Pending, later)
		m.JourneyID = journey
		return m
	}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{mk("a", "a-j1", "j1"), mk("b", "b-j1", "j1"), mk("c", "c-j1", "j1")})
	})
	var got []string
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cancel := func(customer, journey string) error {
			out, err := tx.CancelPending(ctx, store.Cancel{CustomerID: customer, JourneyIDs: []string{journey}, After: t0, Reason: "exited"})
			for _, m := range out {
				got = append(got, m.ID)
			}
			return err
		}
		if _, err := tx.OpenJourneys(ctx, []string{"a", "b"}, t0); err != nil {
			return err
		}
		if err := cancel("a", "j9"); err != nil { // selects nothing
			return err
		}
		if err := tx.InsertMessages(ctx, []*store.Message{mk("a", "a-j2", "j2")}); err != nil {
			return err
		}
		for _, c := range [][2]string{{"a", "j2"}, {"b", "j1"}} {
			if err := cancel(c[0], c[1]); err != nil {
				return err
			}
		}
		if _, err := tx.OpenJourneys(ctx, []string{"c"}, t0); err != nil {
			return err
		}
		return cancel("c", "j1")
	})
	sameIDs(t, "cancelled", sortedCopy(got), []string{"a-j2", "b-j1", "c-j1"})
}
