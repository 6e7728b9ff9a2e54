package enginetest

import (
	"errors"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sim"
	"github.com/rs/zerolog"
)

// Late events depend on when an event arrives, which only an engine living through each moment
// knows: a simulation hands each event over at its own time, so none is ever late there. These
// tests run the engine as production does, whatever mode the suite is in.

// LateSuite runs the tests of late, future and backfilled events against stores from ns.
func LateSuite(t *testing.T, ns NewStore) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, NewStore)
	}{
		{"a late event updates and moves journeys but starts none", testLateEventStartsNothing},
		{"late_events sets how late is late", testLateEventsSetting},
		{"a history backfill treats every event as late", testHistoryIsLate},
		{"events from the future or before 1970 are refused", testImpossibleTimesRefused},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, ns) })
	}
}

// startLive builds an engine that lives through each moment, as `afterglow run` does.
func startLive(t *testing.T, ns NewStore, ws *dsl.Workspace, history bool) *Run {
	t.Helper()
	st := ns(t)
	clk := clock.NewVirtual(T0)
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), BatchSize: 50, History: history,
		Unsubscribe: func(c, ch, m string) string { return "https://shop.test/u/" + m }})
	if err := eng.SaveVersions(ctxBG(), eng.Flows()); err != nil {
		t.Fatal(err)
	}
	return &Run{T: t, Ctx: ctxBG(), Store: st, Clock: clk, Engine: eng, Driver: &sim.Driver{Engine: eng, Clock: clk}}
}

const lateFlows = `
flow: thanks
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: thanks, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Thanks {{ trigger.data.order_id }}", text: "t"}}}}}
`

var lateFiles = map[string]string{"flows/thanks.yaml": lateFlows, "flows/review.yaml": `
flow: review
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: delivered, wait_for: {event: order.delivered, when: event.data.order_id == trigger.data.order_id, timeout: 20d, on_timeout: exit}}
  - {id: ask, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Review {{ trigger.data.order_id }}", text: "t"}}}}}
`, "flows/winback.yaml": `
flow: winback
trigger: {event: customer.created}
exit: [{event: order.placed}]
steps:
  - {id: pause, wait: 30d}
  - {id: miss, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "We miss you", text: "t"}}}}}
`, "flows/promo.yaml": `
flow: promo
trigger: {event: promo.tick}
goal: {event: order.placed, within: 7d, exit: false}
steps:
  - {id: offer, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Offer", text: "t"}}}}}
`}

func testLateEventStartsNothing(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", lateFiles)
	r := startLive(t, ns, ws, false)
	r.Play(time.Minute,
		Ev(0, "customer.created", "ana", map[string]any{"email": "a@example.com"}),
		Ev(0, "order.placed", "ana", order("1", "10")),
		Ev(time.Minute, "promo.tick", "ana", nil))
	late := []eventT{
		Ev(day, "order.delivered", "ana", map[string]any{"order_id": "1"}),
		Ev(day+time.Hour, "order.placed", "ana", order("2", "15")),
	}
	r.Arrive(5*day, late...)
	Equal(t, "messages", subjectsOf(r), []string{"0d ana Thanks 1", "1m0s ana Offer", "5d ana Review 1"})
	Equal(t, "journeys", r.Journeys("ana"), []string{
		"review completed ask", "thanks completed thanks", "winback exited pause", "promo completed offer",
	})
	c, err := r.Store.Customer(r.Ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if c.OrdersCount != 2 || c.TotalSpent.String() != "25" {
		t.Errorf("after the late order the customer has %d orders, %s spent; want 2 and 25", c.OrdersCount, c.TotalSpent)
	}
	js, _ := r.Store.Journeys(r.Ctx, journeyFilter("ana"))
	for _, j := range js {
		if j.FlowID == "promo" && !j.ConvertedAt.Equal(T0.Add(day+time.Hour)) {
			t.Errorf("the promo converted at %v; want the late order's own time (1d1h)", j.ConvertedAt)
		}
	}
	if n := r.Engine.Stats.EventsLate(); n != 2 {
		t.Errorf("%d events counted late; want 2", n)
	}

	// An order placed before the journey entered is no conversion of it, however late it comes.
	r.Play(6*day, Ev(6*day, "promo.tick", "bea", nil))
	r.Arrive(8*day, Ev(5*day, "order.placed", "bea", order("3", "5")))
	js, _ = r.Store.Journeys(r.Ctx, journeyFilter("bea"))
	if len(js) != 1 || !js[0].ConvertedAt.IsZero() {
		t.Errorf("an order placed before the promo, arriving late, converted it: %+v", js)
	}
}

func testLateEventsSetting(t *testing.T, ns NewStore) {
	for _, c := range []struct {
		settings string
		age      time.Duration
		started  bool
	}{
		{"", 23 * time.Hour, true},
		{"", 25 * time.Hour, false},
		{"policies: {late_events: 1h}\n", 2 * time.Hour, false},
		{"policies: {late_events: 3d}\n", 48 * time.Hour, true},
	} {
		ws := Workspace(t, c.settings, map[string]string{"flows/thanks.yaml": lateFlows})
		r := startLive(t, ns, ws, false)
		r.Arrive(10*day, Ev(10*day-c.age, "order.placed", "ana", order("1", "5")))
		if got := len(r.Journeys("ana")) == 1; got != c.started {
			t.Errorf("settings %q, an order %s old: journey started %v; want %v", c.settings, c.age, got, c.started)
		}
	}
}

func testHistoryIsLate(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", lateFiles)
	r := startLive(t, ns, ws, false)
	r.Play(0,
		Ev(0, "customer.created", "ana", map[string]any{"email": "a@example.com"}),
		Ev(0, "order.placed", "ana", order("1", "10")))
	backfill := startLive(t, func(*testing.T) storeT { return r.Store }, ws, true)
	backfill.Clock.Set(T0.Add(time.Hour))
	if _, err := backfill.Engine.Ingest(r.Ctx, []eventT{
		Ev(time.Hour, "order.delivered", "ana", map[string]any{"order_id": "1"}),
		Ev(time.Hour, "order.placed", "ana", order("2", "15")),
		Ev(time.Hour, "customer.created", "bea", map[string]any{"email": "b@example.com"}),
	}); err != nil {
		t.Fatal(err)
	}
	Equal(t, "journeys after a backfill of recent events", r.Journeys("ana"), []string{
		"review completed ask", "thanks completed thanks", "winback exited pause",
	})
	if js := r.Journeys("bea"); len(js) != 0 {
		t.Errorf("a backfilled customer.created started %v", js)
	}
	if c, _ := r.Store.Customer(r.Ctx, "ana"); c.OrdersCount != 2 {
		t.Errorf("after the backfill ana has %d orders; want 2", c.OrdersCount)
	}
}

func testImpossibleTimesRefused(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/thanks.yaml": lateFlows})
	r := startLive(t, ns, ws, false)
	r.Play(day)
	good := Ev(day, "order.placed", "ana", order("1", "5"))
	for _, c := range []struct {
		what string
		at   time.Time
	}{
		{"six minutes ahead", T0.Add(day + 6*time.Minute)},
		{"year 9999", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"year 0001", time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)},
		{"1969", time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)},
	} {
		bad := Ev(day, "order.placed", "bob", order("2", "5"))
		bad.Time = c.at
		_, err := r.Engine.Ingest(r.Ctx, []eventT{good, bad})
		var refused *event.Refused
		if !errors.As(err, &refused) || len(refused.Problems) != 1 || refused.Problems[0].Index != 1 || refused.Problems[0].Field != "time" {
			t.Errorf("an event dated %s: %v; want the batch refused for event 1's time", c.what, err)
		}
	}
	if ms := r.Messages(); len(ms) != 0 {
		t.Errorf("refused batches wrote %d messages", len(ms))
	}
	ahead := Ev(day+4*time.Minute, "order.placed", "ana", order("1", "5"))
	if _, err := r.Engine.Ingest(r.Ctx, []eventT{ahead}); err != nil {
		t.Errorf("an event four minutes ahead (a sender's clock drifting): %v; want it accepted", err)
	}
}
