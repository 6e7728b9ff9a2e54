package pgstore_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
)

// Journeys and messages are appended with a binary COPY written by hand: each column's value
// must come back as it went in, at the edges of each type (times before 1970 and with
// nanoseconds, NULLs, negative and large integers, text beyond ASCII).
func TestAppendedRowsComeBackAsWritten(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	beforeEpoch := time.Date(1969, 12, 31, 23, 59, 59, 999999500, time.UTC)
	far := time.Date(2999, 1, 2, 3, 4, 5, 678901234, time.UTC)
	j := &store.Journey{ID: "j-ñ", CustomerID: "c-世界", FlowID: "win-back", FlowVersion: "win-back@3", Key: "k 🥈",
		Status: store.Active, StepID: "wait", WakeAt: far, WaitEvent: "order.placed", EnteredAt: beforeEpoch,
		Reason: "", Holdout: true, Depth: 2147483647,
		Trigger:   event.Event{SpecVersion: "1.0", ID: "e1", Source: "s", Type: "order.placed", Subject: "c-世界", Time: far, Data: map[string]any{"note": "tab\there"}},
		GoalUntil: far}
	ended := &store.Journey{ID: "j2", CustomerID: "c-世界", FlowID: "f", FlowVersion: "f@1", Status: store.Completed,
		EnteredAt: far, EndedAt: far, Depth: -3, Trigger: j.Trigger,
		Outputs: map[string]store.StepOutput{"split": {Variant: "b"}}, ConvertedAt: beforeEpoch}
	m := &store.Message{ID: "m1", CustomerID: "c-世界", JourneyID: "j-ñ", FlowID: "win-back", FlowVersion: "win-back@3", StepID: "s",
		Channel: "email", Shape: message.Email, Category: "marketing", Priority: -32768, IdempotencyKey: "idem", Status: store.Pending,
		SendAt: beforeEpoch, CreatedAt: far, Locale: "pt-BR", To: message.Recipient{CustomerID: "c-世界", Email: "a@b.pe"},
		Content: message.Content{Subject: "Olá", Text: "linha\nnova"}, UnsubscribeURL: "https://x/u?t=1", Attempts: 7}
	err := st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, []string{"c-世界"}, far); err != nil {
			return err
		}
		if err := tx.SaveJourneys(ctx, []*store.Journey{j, ended}); err != nil {
			return err
		}
		return tx.InsertMessages(ctx, []*store.Message{m})
	})
	if err != nil {
		t.Fatal(err)
	}
	js, err := st.Journeys(ctx, store.JourneyFilter{CustomerID: "c-世界"})
	if err != nil || len(js) != 2 {
		t.Fatalf("journeys: %d, %v", len(js), err)
	}
	micro := func(t time.Time) time.Time { return t.Truncate(time.Microsecond) }
	byID := map[string]*store.Journey{js[0].ID: js[0], js[1].ID: js[1]}
	got := byID["j-ñ"]
	if got == nil || got.Key != j.Key || !got.Holdout || got.Depth != j.Depth || !got.EnteredAt.Equal(micro(beforeEpoch)) ||
		!got.WakeAt.Equal(micro(far)) || !got.GoalUntil.Equal(micro(far)) || !got.EndedAt.IsZero() || !got.ConvertedAt.IsZero() ||
		got.Outputs != nil || got.Trigger.Data["note"] != "tab\there" {
		t.Errorf("journey came back as %+v", got)
	}
	if got := byID["j2"]; got == nil || got.Depth != -3 || !got.ConvertedAt.Equal(micro(beforeEpoch)) || got.Outputs["split"].Variant != "b" || !got.WakeAt.IsZero() {
		t.Errorf("ended journey came back as %+v", got)
	}
	ms, err := st.Messages(ctx, store.MessageFilter{CustomerID: "c-世界"})
	if err != nil || len(ms) != 1 {
		t.Fatalf("messages: %d, %v", len(ms), err)
	}
	want := *m
	want.SendAt, want.CreatedAt = micro(beforeEpoch), micro(far)
	if !reflect.DeepEqual(ms[0], &want) {
		t.Errorf("message came back as\n%+v\nwant\n%+v", ms[0], &want)
	}
}
