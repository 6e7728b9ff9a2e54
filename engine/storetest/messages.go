package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/message"
)

func init() {
	register("InsertMessages", testInsertMessages)
	register("ClaimMessages", testClaimMessages)
	register("FinishAttempts", testFinishAttempts)
	register("FinishAttemptsInOneGroup", testFinishAttemptsInOneGroup)
	register("ReleaseMessages", testReleaseMessages)
	register("Stats", testStats)
	registerConcurrent("Concurrent/ClaimMessagesSkipsLocked", testClaimMessagesSkipsLocked)
}

func newMessage(customer, id, status string, sendAt time.Time) *store.Message {
	return &store.Message{
		ID: id, CustomerID: customer, JourneyID: "j-" + customer, FlowID: "thank-you-nps", FlowVersion: "v1", StepID: "thanks",
		Channel: "email", Shape: message.Email, Category: "transactional", IdempotencyKey: id, Status: status,
		SendAt: sendAt, CreatedAt: t0, Locale: "es",
		To:      message.Recipient{CustomerID: customer, Email: customer + "@example.com", Name: "Laura"},
		Content: message.Content{Subject: "Gracias, Laura", Text: "Tu pedido #1001", HTML: "<p>Tu pedido &amp; más</p>"},
	}
}

func testInsertMessages(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	full := newMessage("a", "m-full", store.Pending, t0.Add(time.Hour))
	full.Channel, full.Shape, full.Category = "crm", message.Webhook, "marketing"
	full.Reason, full.UnsubscribeURL, full.Attempts, full.ProviderID, full.LastError = "deferred: frequency", "https://u.example/x", 2, "prov-1", "timeout"
	full.LeaseUntil, full.SentAt, full.Priority = t0.Add(time.Minute), t0.Add(2*time.Minute), 1
	full.To.Phone, full.To.PushToken = "+51999888777", "tok"
	full.Content = message.Content{TemplateName: "thanks", Language: "es", Params: []string{"Laura", "1001"},
		Payload: map[string]any{"order": map[string]any{"id": "1001", "total": num("59.90"), "big": num("98765432109876543210")}, "ok": true}}
	skipped := newMessage("b", "m-skipped", store.Skipped, t0)
	skipped.Reason = "no consent"
	early := newMessage("b", "m-early", store.Pending, t0.Add(-time.Hour))
	tie := newMessage("a", "m-tie", store.Pending, t0)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{full, skipped, early, tie})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		again := newMessage("a", "m-full", store.Sent, t0)
		again.Content.Subject = "changed"
		return tx.InsertMessages(ctx, []*store.Message{again, newMessage("a", "m-new", store.Pending, t0.Add(2*time.Hour))})
	})
	ms, err := st.Messages(ctxT(t), store.MessageFilter{})
	must(t, err)
	sameIDs(t, "messages by send time, then id", messageIDs(ms), []string{"m-early", "m-skipped", "m-tie", "m-full", "m-new"})
	deepEqual(t, "message inserted once", ms[3], full)
	deepEqual(t, "message", ms[1], skipped)
	for _, tc := range []struct {
		f    store.MessageFilter
		want []string
	}{
		{store.MessageFilter{CustomerID: "b"}, []string{"m-early", "m-skipped"}},
		{store.MessageFilter{Status: store.Pending}, []string{"m-early", "m-tie", "m-full", "m-new"}},
		{store.MessageFilter{CustomerID: "a", Status: store.Pending, FlowID: "thank-you-nps"}, []string{"m-tie", "m-full", "m-new"}},
		{store.MessageFilter{FlowID: "other"}, nil},
	} {
		ms, err := st.Messages(ctxT(t), tc.f)
		must(t, err)
		sameIDs(t, fmt.Sprintf("Messages(%+v)", tc.f), messageIDs(ms), tc.want)
	}
}

func testClaimMessages(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	expired := newMessage("a", "m-expired", store.Sending, t0.Add(-10*time.Minute))
	expired.LeaseUntil = t0.Add(-time.Second)
	leased := newMessage("a", "m-leased", store.Sending, t0.Add(-10*time.Minute))
	leased.LeaseUntil = t0.Add(time.Minute)
	sent := newMessage("b", "m-sent", store.Sent, t0.Add(-time.Hour))
	failed := newMessage("b", "m-failed", store.Failed, t0.Add(-time.Hour))
	skipped := newMessage("b", "m-skipped", store.Skipped, t0.Add(-time.Hour))
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{
			newMessage("a", "m-due2", store.Pending, t0.Add(-time.Minute)), newMessage("b", "m-due1", store.Pending, t0.Add(-2*time.Minute)),
			newMessage("b", "m-now", store.Pending, t0), newMessage("a", "m-later", store.Pending, t0.Add(time.Second)),
			expired, leased, sent, failed, skipped,
		})
	})
	lease := t0.Add(2 * time.Minute)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, lease, 3)
		if err != nil {
			return err
		}
		sameIDs(t, "claimed with limit 3", messageIDs(ms), []string{"m-expired", "m-due1", "m-due2"})
		for _, m := range ms {
			if m.Status != store.Sending || !m.LeaseUntil.Equal(lease) {
				t.Errorf("claimed %s: status %s lease %v, want sending until %v", m.ID, m.Status, m.LeaseUntil, lease)
			}
		}
		return nil
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, lease, 10)
		if err != nil {
			return err
		}
		sameIDs(t, "claimed again before the leases end", messageIDs(ms), []string{"m-now"})
		return nil
	})
	ms, err := st.Messages(ctxT(t), store.MessageFilter{Status: store.Sending})
	must(t, err)
	sameIDs(t, "sending", messageIDs(ms), []string{"m-expired", "m-leased", "m-due1", "m-due2", "m-now"})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, lease, lease.Add(time.Minute), 10)
		if err != nil {
			return err
		}
		// At the lease's end it has not expired yet; m-leased's ended a minute before.
		sameIDs(t, "claimed when the first leases end", messageIDs(ms), []string{"m-leased", "m-later"})
		ms, err = tx.ClaimMessages(ctx, lease.Add(time.Microsecond), lease.Add(time.Hour), 10)
		if err != nil {
			return err
		}
		sameIDs(t, "claimed once those leases expired", messageIDs(ms), []string{"m-expired", "m-due1", "m-due2", "m-now"})
		return nil
	})
}

func testFinishAttempts(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{newMessage("a", "m1", store.Pending, t0), newMessage("a", "m2", store.Pending, t0)})
	})
	var m *store.Message
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 1)
		if err != nil {
			return err
		}
		m = ms[0]
		m.Status, m.Attempts, m.SendAt, m.LastError = store.Pending, 1, t0.Add(30*time.Second), "503 from provider"
		return tx.FinishAttempts(ctx, []store.Finish{{Message: m, Attempt: store.Attempt{N: 1, At: t0.Add(time.Second), Outcome: "transient", Error: "503 from provider"}}})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0.Add(time.Minute), t0.Add(2*time.Minute), 10)
		if err != nil {
			return err
		}
		sameIDs(t, "claimed for the retry", messageIDs(ms), []string{"m2", "m1"})
		m = ms[1]
		m.Status, m.Attempts, m.ProviderID, m.SentAt, m.LastError = store.Sent, 2, "prov-42", t0.Add(time.Minute), ""
		if err := tx.FinishAttempts(ctx, []store.Finish{{Message: m, Attempt: store.Attempt{N: 2, At: t0.Add(time.Minute), Outcome: "sent", ProviderID: "prov-42"}}}); err != nil {
			return err
		}
		// A second report of attempt 2 updates the message but adds no attempt.
		m.ProviderID = "prov-43"
		return tx.FinishAttempts(ctx, []store.Finish{{Message: m, Attempt: store.Attempt{N: 2, At: t0.Add(2 * time.Minute), Outcome: "sent", ProviderID: "prov-43"}}})
	})
	ms, err := st.Messages(ctxT(t), store.MessageFilter{CustomerID: "a"})
	must(t, err)
	want := newMessage("a", "m1", store.Sent, t0.Add(30*time.Second))
	want.Attempts, want.ProviderID, want.SentAt, want.LeaseUntil = 2, "prov-43", t0.Add(time.Minute), t0.Add(2*time.Minute)
	deepEqual(t, "message after its attempts", ms[1], want)
	as, err := st.Attempts(ctxT(t), "m1")
	must(t, err)
	deepEqual(t, "attempts", as, []store.Attempt{
		{MessageID: "m1", CustomerID: "a", N: 1, At: t0.Add(time.Second), Outcome: "transient", Error: "503 from provider"},
		{MessageID: "m1", CustomerID: "a", N: 2, At: t0.Add(time.Minute), Outcome: "sent", ProviderID: "prov-42"},
	})
	as, err = st.Attempts(ctxT(t), "m2")
	must(t, err)
	if len(as) != 0 {
		t.Errorf("attempts of a message never finished: %+v", as)
	}
	// An attempt at a message the outbox never had is an error, and leaves no trace.
	ghost := newMessage("a", "ghost", store.Sent, t0)
	err = st.InTx(ctxT(t), func(tx store.Tx) error {
		return tx.FinishAttempts(ctxT(t), []store.Finish{{Message: ghost, Attempt: store.Attempt{N: 1, At: t0, Outcome: "sent"}}})
	})
	if err == nil {
		t.Errorf("FinishAttempts of a message never inserted succeeded")
	}
	as, err = st.Attempts(ctxT(t), "ghost")
	must(t, err)
	ms, err = st.Messages(ctxT(t), store.MessageFilter{CustomerID: "a"})
	must(t, err)
	if len(as) != 0 || len(ms) != 2 {
		t.Errorf("a failed FinishAttempts left %d attempts and %d messages, want 0 and 2", len(as), len(ms))
	}
}

// A dispatcher records the attempts that finished together in one call: each message keeps its
// latest state, every new attempt number is recorded once, and a group naming a message the
// outbox never had fails whole.
func testFinishAttemptsInOneGroup(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{newMessage("a", "m1", store.Pending, t0), newMessage("b", "m2", store.Pending, t0)})
	})
	var ms []*store.Message
	inTx(t, st, func(ctx context.Context, tx store.Tx) (err error) {
		ms, err = tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 10)
		return err
	})
	sameIDs(t, "claimed", messageIDs(ms), []string{"m1", "m2"})
	retry, sent, m2 := *ms[0], *ms[0], *ms[1]
	retry.Status, retry.Attempts, retry.SendAt, retry.LastError = store.Pending, 1, t0.Add(30*time.Second), "503 from provider"
	sent.Status, sent.Attempts, sent.SendAt, sent.ProviderID, sent.SentAt = store.Sent, 2, t0.Add(30*time.Second), "prov-7", t0.Add(40*time.Second)
	m2.Status, m2.Attempts, m2.ProviderID, m2.SentAt = store.Sent, 1, "prov-8", t0.Add(time.Second)
	again := sent
	again.ProviderID = "prov-9"
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.FinishAttempts(ctx, []store.Finish{
			{Message: &retry, Attempt: store.Attempt{N: 1, At: t0.Add(time.Second), Outcome: "transient", Error: "503 from provider"}},
			{Message: &m2, Attempt: store.Attempt{N: 1, At: t0.Add(time.Second), Outcome: "sent", ProviderID: "prov-8"}},
			{Message: &sent, Attempt: store.Attempt{N: 2, At: t0.Add(40 * time.Second), Outcome: "sent", ProviderID: "prov-7"}},
			{Message: &again, Attempt: store.Attempt{N: 2, At: t0.Add(50 * time.Second), Outcome: "sent", ProviderID: "prov-9"}},
		})
	})
	got, err := st.Messages(ctxT(t), store.MessageFilter{CustomerID: "a"})
	must(t, err)
	if len(got) != 1 || got[0].Status != store.Sent || got[0].Attempts != 2 || got[0].ProviderID != "prov-9" {
		t.Errorf("m1 after its group: %+v; want sent, 2 attempts, the last report's provider id prov-9", got)
	}
	as, err := st.Attempts(ctxT(t), "m1")
	must(t, err)
	deepEqual(t, "attempts of m1", as, []store.Attempt{
		{MessageID: "m1", CustomerID: "a", N: 1, At: t0.Add(time.Second), Outcome: "transient", Error: "503 from provider"},
		{MessageID: "m1", CustomerID: "a", N: 2, At: t0.Add(40 * time.Second), Outcome: "sent", ProviderID: "prov-7"},
	})
	as, err = st.Attempts(ctxT(t), "m2")
	must(t, err)
	if len(as) != 1 || as[0].ProviderID != "prov-8" {
		t.Errorf("attempts of m2: %+v", as)
	}

	// A group with a message the outbox never had fails, and its other attempts leave no trace.
	m2.Status, m2.Attempts, m2.LastError = store.Failed, 2, "hard bounce"
	ghost := newMessage("b", "ghost", store.Sent, t0)
	err = st.InTx(ctxT(t), func(tx store.Tx) error {
		return tx.FinishAttempts(ctxT(t), []store.Finish{
			{Message: &m2, Attempt: store.Attempt{N: 2, At: t0.Add(time.Minute), Outcome: "permanent", Error: "hard bounce"}},
			{Message: ghost, Attempt: store.Attempt{N: 1, At: t0, Outcome: "sent"}},
		})
	})
	if err == nil {
		t.Fatal("a group naming a message never inserted was recorded")
	}
	as, err = st.Attempts(ctxT(t), "m2")
	must(t, err)
	got, err = st.Messages(ctxT(t), store.MessageFilter{CustomerID: "b"})
	must(t, err)
	if len(as) != 1 || len(got) != 1 || got[0].Status != store.Sent {
		t.Errorf("a failed group left m2 %+v with %d attempts; want it sent with 1", got, len(as))
	}
}

// A claimed message given back untried is claimable again at once, with no attempt counted; a
// stale copy, whose lease ran out and was taken by another claim, gives nothing back.
func testReleaseMessages(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{newMessage("a", "m1", store.Pending, t0), newMessage("b", "m2", store.Pending, t0)})
	})
	claim := func(now, until time.Time) []*store.Message {
		t.Helper()
		var ms []*store.Message
		inTx(t, st, func(ctx context.Context, tx store.Tx) (err error) {
			ms, err = tx.ClaimMessages(ctx, now, until, 10)
			return err
		})
		return ms
	}
	first := claim(t0, t0.Add(time.Minute))
	sameIDs(t, "claimed", messageIDs(first), []string{"m1", "m2"})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.ReleaseMessages(ctx, first[:1]) })
	got, err := st.Messages(ctxT(t), store.MessageFilter{CustomerID: "a"})
	must(t, err)
	if len(got) != 1 || got[0].Status != store.Pending || !got[0].LeaseUntil.IsZero() || got[0].Attempts != 0 {
		t.Errorf("m1 given back: %+v; want pending, no lease, no attempt", got)
	}
	sameIDs(t, "claimed again at once", messageIDs(claim(t0, t0.Add(2*time.Minute))), []string{"m1"})

	// m2's lease runs out and another claim takes it: the first claim's copy gives nothing back.
	sameIDs(t, "claimed after the lease", messageIDs(claim(t0.Add(90*time.Second), t0.Add(3*time.Minute))), []string{"m2"})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.ReleaseMessages(ctx, first[1:]) })
	got, err = st.Messages(ctxT(t), store.MessageFilter{CustomerID: "b"})
	must(t, err)
	if len(got) != 1 || got[0].Status != store.Sending || !got[0].LeaseUntil.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("m2 after a stale copy was given back: %+v; want sending until the second claim's lease", got)
	}
	as, err := st.Attempts(ctxT(t), "m1")
	must(t, err)
	if len(as) != 0 {
		t.Errorf("giving back recorded attempts: %+v", as)
	}
}

func testStats(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": t0.Add(-time.Hour), "b": t0.Add(-2 * time.Hour), "c": t0.Add(time.Hour)})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("a", "1", "x.y", t0, nil), ev("a", "2", "x.y", t0, nil), ev("b", "1", "x.y", t0, nil)}); err != nil {
			return err
		}
		if err := tx.SaveJourneys(ctx, []*store.Journey{
			journey("a", "j1", "nps", store.Active, t0), journey("a", "j2", "nps", store.Completed, t0),
			journey("b", "j3", "nps", store.Active, t0), journey("b", "j4", "welcome", store.Active, t0),
		}); err != nil {
			return err
		}
		sms := newMessage("a", "m3", store.Pending, t0.Add(-3*time.Hour))
		sms.Channel = "sms"
		sending := newMessage("b", "m4", store.Sending, t0.Add(-4*time.Hour))
		return tx.InsertMessages(ctx, []*store.Message{
			newMessage("a", "m1", store.Pending, t0.Add(-time.Hour)), newMessage("a", "m2", store.Pending, t0.Add(time.Hour)),
			sms, sending, newMessage("b", "m5", store.Sent, t0.Add(-5*time.Hour)),
		})
	})
	s, err := st.Stats(ctxT(t), t0)
	must(t, err)
	deepEqual(t, "stats", s, &store.Stats{
		ActiveJourneys:   map[string]int64{"nps": 2, "welcome": 1},
		Messages:         map[[2]string]int64{{"email", store.Pending}: 2, {"sms", store.Pending}: 1, {"email", store.Sending}: 1, {"email", store.Sent}: 1},
		OldestDueTimer:   t0.Add(-2 * time.Hour),
		OldestDueMessage: t0.Add(-3 * time.Hour),
	})
	s, err = st.Stats(ctxT(t), t0.Add(-10*time.Hour))
	must(t, err)
	if !s.OldestDueTimer.IsZero() || !s.OldestDueMessage.IsZero() {
		t.Errorf("nothing is due yet, got timer %v message %v", s.OldestDueTimer, s.OldestDueMessage)
	}
}

func testClaimMessagesSkipsLocked(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.InsertMessages(ctx, []*store.Message{newMessage("a", "m1", store.Pending, t0.Add(-2*time.Minute)), newMessage("a", "m2", store.Pending, t0.Add(-time.Minute))})
	})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 1)
		if err == nil && (len(ms) != 1 || ms[0].ID != "m1") {
			err = fail("claimed %q, want m1", messageIDs(ms))
		}
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 10)
		got = messageIDs(ms)
		return err
	})
	quickly(t, done, "ClaimMessages")
	sameIDs(t, "claimed beside a message another dispatcher holds", got, []string{"m2"})
	h.end(t, false)
	// Rolled back: m1 is pending again.
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		ms, err := tx.ClaimMessages(ctx, t0, t0.Add(time.Minute), 10)
		sameIDs(t, "claimed after the other dispatcher rolled back", messageIDs(ms), []string{"m1"})
		return err
	})
}
