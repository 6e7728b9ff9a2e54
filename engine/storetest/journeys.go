package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

func init() {
	register("OpenJourneys", testOpenJourneys)
	register("OpenJourneysWithHeldMessages", testOpenJourneysHeld)
	register("SaveJourneys/RoundTrip", testJourneyRoundTrip)
	register("SaveJourneys/Upsert", testJourneyUpsert)
	register("Entries", testEntries)
}

func journey(customer, id, flow, status string, entered time.Time) *store.Journey {
	return &store.Journey{
		ID: id, CustomerID: customer, FlowID: flow, FlowVersion: flow + "@1", Key: "", Status: status, StepID: "thanks",
		EnteredAt: t0Or(entered),
		Trigger:   event.Event{SpecVersion: "1.0", ID: "trig-" + id, Source: "shop", Type: "order.placed", Subject: customer, Time: t0Or(entered), Data: map[string]any{"order_id": "1"}},
	}
}

func testOpenJourneys(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"c1": {}, "c2": {}, "c3": {}})
	active := journey("c1", "j-active", "f1", store.Active, t0.Add(-time.Hour))
	sameTimeB := journey("c1", "j-b", "f2", store.Active, t0.Add(-2*time.Hour))
	sameTimeA := journey("c1", "j-a", "f3", store.Active, t0.Add(-2*time.Hour))
	completed := journey("c1", "j-completed", "f1", store.Completed, t0.Add(-3*time.Hour))
	completed.EndedAt = t0.Add(-time.Hour)
	goalOpen := journey("c1", "j-goal-open", "f1", store.Exited, t0.Add(-4*time.Hour))
	goalOpen.EndedAt, goalOpen.GoalUntil = t0.Add(-time.Hour), t0.Add(time.Hour)
	goalPast := journey("c1", "j-goal-past", "f1", store.Completed, t0.Add(-5*time.Hour))
	goalPast.EndedAt, goalPast.GoalUntil = t0.Add(-2*time.Hour), t0.Add(-time.Minute)
	goalAtNow := journey("c1", "j-goal-now", "f1", store.Completed, t0.Add(-5*time.Hour))
	goalAtNow.GoalUntil = t0 // the window is open before its end, not at it
	converted := journey("c1", "j-converted", "f1", store.Converted, t0.Add(-6*time.Hour))
	converted.EndedAt, converted.GoalUntil, converted.ConvertedAt = t0.Add(-time.Hour), t0.Add(time.Hour), t0.Add(-time.Hour)
	other := journey("c2", "j-c2", "f1", store.Active, t0.Add(-time.Hour))
	notAsked := journey("c3", "j-c3", "f1", store.Active, t0.Add(-time.Hour))
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveJourneys(ctx, []*store.Journey{active, completed, converted, goalAtNow, goalOpen, goalPast, sameTimeA, sameTimeB, other, notAsked})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		js, err := tx.OpenJourneys(ctx, []string{"c1", "c2"}, t0)
		if err != nil {
			return err
		}
		sameIDs(t, "open journeys", journeyIDs(js), []string{"j-goal-open", "j-a", "j-b", "j-active", "j-c2"})
		js, err = tx.OpenJourneys(ctx, []string{"c1"}, t0.Add(2*time.Hour))
		if err != nil {
			return err
		}
		sameIDs(t, "open journeys once the goal window closed", journeyIDs(js), []string{"j-a", "j-b", "j-active"})
		js, err = tx.OpenJourneys(ctx, []string{"nobody"}, t0)
		if err != nil || len(js) != 0 {
			return fail("journeys of an unknown customer: %v %v", journeyIDs(js), err)
		}
		return nil
	})
}

// A journey that ended with a message held back (by a limit, by quiet hours) is still shown to
// the customer's events until that message leaves, so that an exit or a goal can stop it.
func testOpenJourneysHeld(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"c1": {}})
	held := journey("c1", "j-held", "f1", store.Completed, t0.Add(-3*time.Hour))
	heldGoal := journey("c1", "j-held-goal", "f1", store.Completed, t0.Add(-4*time.Hour))
	heldGoal.GoalUntil = t0.Add(time.Hour)
	sent := journey("c1", "j-sent", "f1", store.Completed, t0.Add(-5*time.Hour))
	skipped := journey("c1", "j-skipped", "f1", store.Completed, t0.Add(-6*time.Hour))
	due := journey("c1", "j-due", "f1", store.Completed, t0.Add(-7*time.Hour))
	msg := func(id, journeyID, status string, at time.Time) *store.Message {
		m := newMessage("c1", id, status, at)
		m.JourneyID = journeyID
		return m
	}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if err := tx.SaveJourneys(ctx, []*store.Journey{held, heldGoal, sent, skipped, due}); err != nil {
			return err
		}
		return tx.InsertMessages(ctx, []*store.Message{
			msg("m-held", "j-held", store.Pending, t0.Add(time.Hour)),
			msg("m-held-goal", "j-held-goal", store.Pending, t0.Add(30*time.Minute)),
			msg("m-held-goal-2", "j-held-goal", store.Pending, t0.Add(40*time.Minute)),
			msg("m-sent", "j-sent", store.Sent, t0.Add(time.Hour)),
			msg("m-skipped", "j-skipped", store.Skipped, t0.Add(time.Hour)),
			msg("m-due", "j-due", store.Pending, t0),
		})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		js, err := tx.OpenJourneys(ctx, []string{"c1"}, t0)
		if err != nil {
			return err
		}
		sameIDs(t, "journeys open or holding a message", journeyIDs(js), []string{"j-held-goal", "j-held"})
		js, err = tx.OpenJourneys(ctx, []string{"c1"}, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		sameIDs(t, "once the held messages are due", journeyIDs(js), nil)
		return nil
	})
}

func fullJourney() *store.Journey {
	lima := time.FixedZone("", -5*3600)
	waited := event.Event{SpecVersion: "1.0", ID: "del-1", Source: "shopify/aurora", Type: "order.delivered", Subject: "laura",
		Time: time.Date(2025, 10, 16, 9, 30, 0, 500, lima), Data: map[string]any{"order_id": "1001", "tracking": map[string]any{"number": num("123456789012345678901")}}}
	return &store.Journey{
		ID: "j1", CustomerID: "laura", FlowID: "thank-you-nps", FlowVersion: "sha256:abc", Key: "1001", Status: store.Active,
		StepID: "nps", WakeAt: t0.Add(72 * time.Hour), WaitEvent: "review.submitted", EnteredAt: t0, Reason: "", Holdout: true, Depth: 2,
		Trigger: event.Event{SpecVersion: "1.0", ID: "ord-1", Source: "shopify/aurora", Type: "order.placed", Subject: "laura", Time: t0,
			DataContentType: "application/json",
			Data: map[string]any{"order_id": "1001", "total": num("59.90"), "currency": "PEN",
				"items": []any{map[string]any{"sku": "SER-30", "quantity": num("1"), "price": num("59.90")}}}},
		Outputs: map[string]store.StepOutput{
			"wait_delivery": {Event: &waited},
			"wait_review":   {TimedOut: true},
			"split":         {Variant: "b"},
		},
		GoalUntil: t0.Add(30 * 24 * time.Hour),
	}
}

func testJourneyRoundTrip(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"laura": {}, "zed": {}})
	ended := journey("zed", "j2", "welcome", store.Exited, t0.Add(time.Minute))
	ended.EndedAt, ended.Reason, ended.ConvertedAt = t0.Add(time.Hour), "exit: unsubscribed", t0.Add(time.Hour)
	ended.Trigger.Data = nil
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveJourneys(ctx, []*store.Journey{fullJourney(), ended})
	})
	js, err := st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "laura"})
	must(t, err)
	if len(js) != 1 {
		t.Fatalf("journeys of laura: %q", journeyIDs(js))
	}
	want := fullJourney()
	got := js[0]
	// A time inside JSON keeps its instant; its zone may come back as a bare offset.
	gw, ww := got.Outputs["wait_delivery"].Event, want.Outputs["wait_delivery"].Event
	if gw == nil || !gw.Time.Equal(ww.Time) {
		t.Errorf("wait_for event time: got %v, want %v", gw, ww.Time)
	} else {
		gw.Time = ww.Time
	}
	deepEqual(t, "journey", got, want)
	js, err = st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "zed"})
	must(t, err)
	deepEqual(t, "ended journey", js[0], ended)
	for _, tc := range []struct {
		f    store.JourneyFilter
		want []string
	}{
		{store.JourneyFilter{}, []string{"j1", "j2"}},
		{store.JourneyFilter{FlowID: "welcome"}, []string{"j2"}},
		{store.JourneyFilter{Status: store.Active}, []string{"j1"}},
		{store.JourneyFilter{CustomerID: "zed", Status: store.Active}, nil},
		{store.JourneyFilter{CustomerID: "laura", FlowID: "thank-you-nps", Status: store.Active}, []string{"j1"}},
	} {
		js, err := st.Journeys(ctxT(t), tc.f)
		must(t, err)
		sameIDs(t, fmt.Sprintf("Journeys(%+v)", tc.f), journeyIDs(js), tc.want)
	}
}

func testJourneyUpsert(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}})
	j := journey("a", "j1", "f", store.Active, t0)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveJourneys(ctx, []*store.Journey{j, journey("b", "j3", "f", store.Active, t0.Add(-time.Hour)), journey("a", "j2", "f", store.Active, t0)})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		j.Status, j.StepID, j.EndedAt, j.Outputs = store.Completed, "last", t0.Add(time.Hour), map[string]store.StepOutput{"s": {Variant: "a"}}
		if err := tx.SaveJourneys(ctx, []*store.Journey{j}); err != nil {
			return err
		}
		return tx.SaveJourneys(ctx, []*store.Journey{j})
	})
	js, err := st.Journeys(ctxT(t), store.JourneyFilter{})
	must(t, err)
	// By customer, entry time, then id.
	sameIDs(t, "journeys", journeyIDs(js), []string{"j1", "j2", "j3"})
	deepEqual(t, "journey updated", js[0], j)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		a := journey("a", "j2", "f", store.Active, t0)
		a.StepID = "first"
		b := journey("a", "j2", "f", store.Exited, t0)
		b.StepID = "second"
		return tx.SaveJourneys(ctx, []*store.Journey{a, b})
	})
	js, err = st.Journeys(ctxT(t), store.JourneyFilter{CustomerID: "a"})
	must(t, err)
	if len(js) != 2 || js[1].StepID != "second" || js[1].Status != store.Exited {
		t.Errorf("the last of two saves of one journey in one call must win: %+v", js)
	}
}

func testEntries(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"c1": {}, "c2": {}, "c3": {}})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveEntries(ctx, []*store.Entry{
			{CustomerID: "c1", FlowID: "f1", Key: "", LastEnteredAt: t0},
			{CustomerID: "c1", FlowID: "f1", Key: "sku-2", LastEnteredAt: t0.Add(time.Hour)},
			{CustomerID: "c1", FlowID: "f2", Key: "", LastEnteredAt: t0},
			{CustomerID: "c2", FlowID: "f1", Key: "sku-1", LastEnteredAt: t0},
			{CustomerID: "c3", FlowID: "f1", Key: "", LastEnteredAt: t0},
		})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		es, err := tx.Entries(ctx, []string{"c1", "c2"}, []string{"f1"})
		if err != nil {
			return err
		}
		want := []*store.Entry{
			{CustomerID: "c1", FlowID: "f1", Key: "", LastEnteredAt: t0},
			{CustomerID: "c1", FlowID: "f1", Key: "sku-2", LastEnteredAt: t0.Add(time.Hour)},
			{CustomerID: "c2", FlowID: "f1", Key: "sku-1", LastEnteredAt: t0},
		}
		deepEqual(t, "entries", es, want)
		return tx.SaveEntries(ctx, []*store.Entry{{CustomerID: "c1", FlowID: "f1", Key: "", LastEnteredAt: t0.Add(48 * time.Hour)}})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		es, err := tx.Entries(ctx, []string{"c1"}, []string{"f1", "f2"})
		if err != nil {
			return err
		}
		if len(es) != 3 || !es[0].LastEnteredAt.Equal(t0.Add(48*time.Hour)) || es[2].FlowID != "f2" {
			t.Errorf("entries after an update: %+v", es)
		}
		es, err = tx.Entries(ctx, []string{"c1"}, []string{"f9"})
		if err != nil || len(es) != 0 {
			return fail("entries of another flow: %v %v", es, err)
		}
		return nil
	})
}
