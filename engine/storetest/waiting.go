package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// Waiting messages are those a message of higher priority may take the place of: marketing, in
// the outbox, never tried, not yet due. A message a dispatcher leased or tried is never moved.
func init() {
	register("WaitingMessages", testWaitingMessages)
	register("MoveWaiting", testMoveWaiting)
	register("MoveWaitingRefusesWhatLeft", testMoveWaitingRefusesWhatLeft)
	registerConcurrent("Concurrent/WaitingMessagesAreNotLeased", testWaitingMessagesAreNotLeased)
	registerConcurrent("Concurrent/WaitingMessagesLeaveOutALeaseInProgress", testWaitingMessagesLeaveOutALeaseInProgress)
}

func waitingFixture(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	mk := func(customer, id, status, category string, at time.Time, priority, attempts int) *store.Message {
		m := newMessage(customer, id, status, at)
		m.Category, m.Priority, m.Attempts = category, priority, attempts
		return m
	}
	day := 24 * time.Hour
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{
			mk("a", "low-later", store.Pending, "marketing", t0.Add(30*day), -1, 0),  // waits: may be moved
			mk("a", "high-later", store.Pending, "marketing", t0.Add(20*day), 1, 0),  // waits, whatever its priority
			mk("a", "same-moment", store.Pending, "marketing", t0.Add(20*day), 0, 0), // ties read by id
			mk("a", "due", store.Pending, "marketing", t0, 0, 0),                     // due now: it is leaving
			mk("a", "receipt", store.Pending, "transactional", t0.Add(day), 0, 0),    // never counted by a limit
			mk("a", "leased", store.Sending, "marketing", t0.Add(day), 0, 0),         // a dispatcher holds it
			mk("a", "sent", store.Sent, "marketing", t0.Add(-day), 0, 1),
			mk("a", "retrying", store.Pending, "marketing", t0.Add(day), 0, 1), // tried once: it may have arrived
			mk("a", "skipped", store.Skipped, "marketing", t0.Add(day), 0, 0),
			mk("b", "other-customer", store.Pending, "marketing", t0.Add(day), -1, 0),
		})
	})
}

func testWaitingMessages(t *testing.T, st store.Store) {
	waitingFixture(t, st)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.WaitingMessages(ctx, "a", t0)
		if err != nil {
			return err
		}
		sameIDs(t, "waiting", messageIDs(ms), []string{"high-later", "same-moment", "low-later"})
		prio := map[string]int{}
		for _, m := range ms {
			prio[m.ID] = m.Priority
		}
		if prio["high-later"] != 1 || prio["low-later"] != -1 || prio["same-moment"] != 0 {
			t.Errorf("priorities read back: %v", prio)
		}
		ms, err = tx.WaitingMessages(ctx, "a", t0.Add(25*24*time.Hour))
		sameIDs(t, "waiting after day 25", messageIDs(ms), []string{"low-later"})
		return err
	})
}

func testMoveWaiting(t *testing.T, st store.Store) {
	waitingFixture(t, st)
	day60 := t0.Add(60 * 24 * time.Hour)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.WaitingMessages(ctx, "a", t0); err != nil {
			return err
		}
		return tx.MoveWaiting(ctx, "a", []store.Move{
			{MessageID: "low-later", Status: store.Pending, SendAt: day60, Reason: "frequency"},
			{MessageID: "same-moment", Status: store.Skipped, SendAt: day60, Reason: "frequency"},
		})
	})
	all, err := st.Messages(ctxT(t), store.MessageFilter{CustomerID: "a"})
	must(t, err)
	got := map[string]*store.Message{}
	for _, m := range all {
		got[m.ID] = m
	}
	if m := got["low-later"]; m.Status != store.Pending || !m.SendAt.Equal(day60) || m.Reason != "frequency" {
		t.Errorf("moved message: %s at %v (%s), want pending at %v (frequency)", m.Status, m.SendAt, m.Reason, day60)
	}
	// A skipped message keeps the moment it was due: it never left, and never will.
	if m := got["same-moment"]; m.Status != store.Skipped || !m.SendAt.Equal(t0.Add(20*24*time.Hour)) || m.Reason != "frequency" {
		t.Errorf("skipped message: %s at %v (%s), want skipped at its old moment (frequency)", m.Status, m.SendAt, m.Reason)
	}
	if m := got["high-later"]; m.Status != store.Pending || !m.SendAt.Equal(t0.Add(20*24*time.Hour)) {
		t.Errorf("a message not named was changed: %s at %v", m.Status, m.SendAt)
	}
}

func testMoveWaitingRefusesWhatLeft(t *testing.T, st store.Store) {
	waitingFixture(t, st)
	for _, mv := range []store.Move{
		{MessageID: "leased", Status: store.Pending, SendAt: t0.Add(time.Hour)},
		{MessageID: "sent", Status: store.Skipped, Reason: "frequency"},
		{MessageID: "other-customer", Status: store.Pending, SendAt: t0.Add(time.Hour)},
		{MessageID: "no-such-message", Status: store.Pending, SendAt: t0.Add(time.Hour)},
	} {
		err := st.InTx(ctxT(t), func(tx store.Tx) error {
			if err := tx.MoveWaiting(ctxT(t), "a", []store.Move{
				{MessageID: "low-later", Status: store.Pending, SendAt: t0.Add(90 * 24 * time.Hour)}, mv,
			}); err != nil {
				return err
			}
			return nil
		})
		if err == nil {
			t.Errorf("moving %s of customer a: no error", mv.MessageID)
		}
	}
	// The failed transactions left everything as it was.
	ms, err := st.Messages(ctxT(t), store.MessageFilter{})
	must(t, err)
	for _, m := range ms {
		if m.ID == "low-later" && !m.SendAt.Equal(t0.Add(30*24*time.Hour)) {
			t.Errorf("low-later moved to %v by a transaction that failed", m.SendAt)
		}
		if m.ID == "leased" && m.Status != store.Sending || m.ID == "sent" && m.Status != store.Sent {
			t.Errorf("%s is %s", m.ID, m.Status)
		}
	}
}

// While the engine decides whether to move a waiting message, no dispatcher may lease it, and the
// dispatcher does not wait for the engine either: it takes the other due messages.
func testWaitingMessagesAreNotLeased(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}})
	soon, other := newMessage("a", "soon", store.Pending, t0.Add(time.Minute)), newMessage("a", "other", store.Pending, t0.Add(time.Minute))
	soon.Category = "marketing"
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{soon, other})
	})
	later := t0.Add(time.Hour)
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.WaitingMessages(ctx, "a", t0)
		if err == nil && (len(ms) != 1 || ms[0].ID != "soon") {
			err = fail("waiting %q, want soon", messageIDs(ms))
		}
		if err == nil {
			err = tx.MoveWaiting(ctx, "a", []store.Move{{MessageID: "soon", Status: store.Pending, SendAt: later, Reason: "frequency"}})
		}
		return err
	})
	// A dispatcher whose clock is two minutes ahead finds soon due, and must pass it by.
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
		got = messageIDs(ms)
		return err
	})
	quickly(t, done, "ClaimMessages")
	sameIDs(t, "claimed while the engine held a waiting message", got, []string{"other"})
	h.end(t, true)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
		sameIDs(t, "claimed after the move", messageIDs(ms), nil)
		return err
	})
}

// A dispatcher leasing a message at the moment the engine looks: the engine waits for it, then
// leaves the leased message out.
func testWaitingMessagesLeaveOutALeaseInProgress(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}})
	soon, after := newMessage("a", "soon", store.Pending, t0.Add(time.Minute)), newMessage("a", "after", store.Pending, t0.Add(time.Hour))
	soon.Category, after.Category = "marketing", "marketing"
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{soon, after})
	})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
		if err == nil && (len(ms) != 1 || ms[0].ID != "soon") {
			err = fail("claimed %q, want soon", messageIDs(ms))
		}
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.WaitingMessages(ctx, "a", t0)
		got = messageIDs(ms)
		return err
	})
	stillWaiting(t, done, "WaitingMessages")
	h.end(t, true)
	quickly(t, done, "WaitingMessages")
	sameIDs(t, "waiting once the lease is committed", got, []string{"after"})
}
