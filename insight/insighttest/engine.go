package insighttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/enginetest"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/insight"
)

// A shop run by the engine: three flows (a goal and a holdout, a holdout without a goal, neither)
// over four months of forty customers' orders, cancellations, refunds, deliveries and surveys,
// arriving in time order. The store's report must equal the one the definitions give over the
// same store's records read back: on the database, this holds its SQL, and the places the engine
// keeps on orders, to the definitions.
func testEngineShop(t *testing.T, s Sources) {
	ws := enginetest.Workspace(t, "", map[string]string{
		"flows/thanks.yaml": `
flow: thanks
trigger: {event: order.placed}
holdout: "30%"
goal: {event: survey.answered, within: 10d}
steps:
  - {id: hello, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Thanks", text: "Thanks"}}}}}
`,
		"flows/win-back.yaml": `
flow: win-back
trigger: {event: order.placed}
entry: {repeat: restart}
holdout: "50%"
exit:
  - {event: order.placed}
steps:
  - {id: pause, wait: 20d}
  - {id: miss-you, send: {channel: email, content: {default_locale: en, locales: {en: {subject: "We miss you", text: "Hi"}}}}}
`,
		"flows/nudge.yaml": `
flow: nudge
trigger: {event: order.delivered}
steps:
  - {id: text, send: {channel: sms, content: {default_locale: en, locales: {en: {text: "Enjoy"}}}}}
`,
	})
	st := s.NewStore(t)
	t.Cleanup(st.Close)
	start := time.Date(2025, 11, 1, 5, 0, 0, 0, time.UTC) // midnight in Lima, after the harness's clock starts
	evs, subjects, surveys := shopEvents(start)
	r := enginetest.Start(t, func(*testing.T) store.Store { return st }, ws)
	r.Clock.Set(start)
	for id := range subjects {
		attrs := map[string]any{"email": id + "@example.com", "consent": map[string]any{"email": true}}
		if len(id)%2 == 0 {
			attrs["phone"] = "+5198765432" + fmt.Sprint(len(id)%10)
		}
		r.Customer(id, attrs)
	}
	last := start
	for _, e := range evs {
		if e.Time.After(last) {
			last = e.Time
		}
	}
	r.Play(last.Add(31*24*time.Hour).Sub(enginetest.T0), evs...) // every event, and the waits after the last

	ctx := context.Background()
	ref := &insight.Records{Surveys: surveys, Goals: map[string]bool{}}
	for id := range subjects {
		os, err := st.CustomerOrders(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ref.Orders = append(ref.Orders, os...)
	}
	var err error
	if ref.Journeys, err = st.Journeys(ctx, store.JourneyFilter{}); err != nil {
		t.Fatal(err)
	}
	if ref.Messages, err = st.Messages(ctx, store.MessageFilter{}); err != nil {
		t.Fatal(err)
	}
	for _, j := range ref.Journeys {
		if _, ok := ref.Goals[j.FlowVersion]; !ok {
			v, err := st.FlowVersion(ctx, j.FlowVersion)
			if err != nil {
				t.Fatal(err)
			}
			ref.Goals[j.FlowVersion] = insight.HasGoal(v.Source)
		}
	}
	if len(ref.Journeys) < 100 || len(ref.Orders) < 60 {
		t.Fatalf("the shop is too quiet to test anything: %d journeys, %d orders", len(ref.Journeys), len(ref.Orders))
	}
	lima, _ := time.LoadLocation("America/Lima")
	for _, q := range []insight.Query{
		{From: insight.Month{Year: 2025, Month: 11}, To: insight.Month{Year: 2026, Month: 2}, Location: lima, Currency: "PEN", Window: insight.DefaultWindow},
		{From: insight.Month{Year: 2025, Month: 12}, To: insight.Month{Year: 2026, Month: 1}, Location: lima, Currency: "PEN", Window: 7 * 24 * time.Hour},
		{From: insight.Month{Year: 2025, Month: 11}, To: insight.Month{Year: 2026, Month: 3}, Location: time.UTC, Currency: "USD", Window: 30 * 24 * time.Hour},
	} {
		got, err := insight.Compute(ctx, s.Source(st), q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := insight.Compute(ctx, ref, q)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := json.Marshal(want)
		Equal(t, got, string(w))
		var doc bytes.Buffer
		if err := got.WriteJSON(&doc); err != nil {
			t.Fatal(err)
		}
		Contract(t, doc.Bytes())
		if want.Flows == nil || len(want.Flows) != 3 || want.Flows[2].Lift == nil {
			t.Errorf("the reference report lacks flows: %s", w)
		}
	}
}

// shopEvents makes the shop's events from a fixed seed: the same events every time.
func shopEvents(start time.Time) (evs []event.Event, subjects map[string]bool, surveys []insight.Survey) {
	rnd := rand.New(rand.NewPCG(7, 11))
	subjects = map[string]bool{}
	n := 0
	ev := func(typ, subject string, at time.Time, data map[string]any) {
		n++
		evs = append(evs, event.Event{SpecVersion: "1.0", ID: fmt.Sprintf("e%d", n), Source: "shop", Type: typ, Subject: subject, Time: at, Data: data})
	}
	day := 24 * time.Hour
	for c := 0; c < 40; c++ {
		id := fmt.Sprintf("c%02d", c)
		subjects[id] = true
		at := start.Add(time.Duration(rnd.Int64N(int64(100 * day))))
		for k := 0; k < 1+rnd.IntN(4); k++ {
			oid := fmt.Sprintf("%s-%d", id, k)
			currency := "PEN"
			if rnd.IntN(10) == 0 {
				currency = "USD"
			}
			total := fmt.Sprintf("%d.%02d", 10+rnd.IntN(200), rnd.IntN(100))
			ev(event.OrderPlaced, id, at, map[string]any{"order_id": oid, "total": json.Number(total), "currency": currency,
				"items": []any{map[string]any{"product_id": "p1", "sku": "S1", "quantity": json.Number("1"), "price": json.Number(total)}}})
			switch rnd.IntN(10) {
			case 0:
				ev(event.OrderCancelled, id, at.Add(time.Duration(rnd.Int64N(int64(3*day)))), map[string]any{"order_id": oid})
			case 1, 2:
				ev(event.OrderRefunded, id, at.Add(time.Duration(rnd.Int64N(int64(20*day)))), map[string]any{"order_id": oid, "amount": json.Number("7.50")})
			default:
				ev(event.OrderDelivered, id, at.Add(3*day), map[string]any{"order_id": oid})
			}
			if rnd.IntN(3) == 0 {
				when := at.Add(time.Duration(rnd.Int64N(int64(15 * day))))
				score := json.Number(fmt.Sprint(rnd.IntN(11)))
				ev(event.SurveyAnswered, id, when, map[string]any{"score": score})
				surveys = append(surveys, insight.Survey{At: when.UTC().Truncate(time.Microsecond), Score: score})
			}
			at = at.Add(time.Duration(rnd.Int64N(int64(40 * day))))
		}
	}
	return evs, subjects, surveys
}
