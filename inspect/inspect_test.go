package inspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/enginetest"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/inspect"
)

const day = 24 * time.Hour

const reviewFlow = `
flow: review-request
trigger: {event: order.placed, when: 'event.data.total >= 50 && customer.orders_count >= 1'}
steps:
  - {id: settle, wait: 3d}
  - {id: ask, send: {channel: email, content: {default_locale: en, locales: {en: {subject: "Review?", text: "Tell us {{ unsubscribe_url }}"}}}}}
`

func order(id, total string) map[string]any {
	return map[string]any{"order_id": id, "total": json.Number(total), "currency": "PEN"}
}

// run plays three customers through a review request: Laura's order is too small, Ana never
// consented to email, Marco's second order comes while his first journey is under way.
func run(t *testing.T) *enginetest.Run {
	ws := enginetest.Workspace(t, "", map[string]string{"flows/review.yaml": reviewFlow})
	r := enginetest.Start(t, func(t *testing.T) store.Store { return memstore.New() }, ws)
	r.Customer("laura", map[string]any{"email": "laura@example.com", "consent": map[string]any{"email": true}})
	r.Customer("ana", map[string]any{"email": "ana@example.com"})
	r.Customer("marco", map[string]any{"email": "marco@example.com", "consent": map[string]any{"email": true}})
	r.Play(5*day,
		enginetest.Ev(0, "order.placed", "laura", order("L1", "30.00")),
		enginetest.Ev(0, "order.placed", "ana", order("A1", "60.00")),
		enginetest.Ev(0, "order.placed", "marco", order("M1", "80.00")),
		enginetest.Ev(day, "order.placed", "marco", order("M2", "90.00")))
	return r
}

func TestWhyNot(t *testing.T) {
	r := run(t)
	ctx := context.Background()
	explain := func(id string) *inspect.CustomerView {
		t.Helper()
		v, err := inspect.Customer(ctx, r.Store, nil, id, inspect.Options{Flow: "review-request"})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	laura := explain("laura")
	if len(laura.Flow.Decisions) != 1 {
		t.Fatalf("laura: %d decisions, want one per order.placed", len(laura.Flow.Decisions))
	}
	d := laura.Flow.Decisions[0]
	if d.Entered || d.Outcome != "when_false" || d.When == nil || d.When.Held {
		t.Fatalf("laura: %+v; want the when not to hold", d)
	}
	reads := map[string]string{}
	for _, rd := range d.When.Reads {
		b, _ := json.Marshal(rd.Value)
		reads[rd.Path] = string(b)
	}
	if reads["event.data.total"] != "30" || reads["customer.orders_count"] != "1" {
		t.Errorf("laura: reads %v; want the order's total 30 and orders_count 1", reads)
	}
	var text bytes.Buffer
	if err := laura.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"not entered (when_false)", "event.data.total = 30", "the trigger's when (event.data.total >= 50 && customer.orders_count >= 1) is false", "email     granted"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("laura's text lacks %q:\n%s", want, text.String())
		}
	}

	ana := explain("ana")
	d = ana.Flow.Decisions[0]
	if !d.Entered || d.Outcome != "entered" || len(d.Messages) != 1 || d.Messages[0].Status != "skipped" || d.Messages[0].Reason == "" {
		t.Fatalf("ana: %+v; want entered, with the request skipped for want of consent", d)
	}
	if !strings.Contains(d.Reason, "none of its messages leaves: ask (email) was skipped: marketing on email needs the customer's consent") {
		t.Errorf("ana: reason %q; want the skipped request and why", d.Reason)
	}
	if len(ana.Journeys) != 1 || ana.Journeys[0].Status != "completed" || ana.Journeys[0].Arm != "treatment" {
		t.Errorf("ana's journeys: %+v", ana.Journeys)
	}

	marco := explain("marco")
	if len(marco.Flow.Decisions) != 2 {
		t.Fatalf("marco: %+v", marco.Flow.Decisions)
	}
	first, second := marco.Flow.Decisions[0], marco.Flow.Decisions[1]
	if !first.Entered || second.Entered || second.Outcome != "active" || !strings.Contains(second.Reason, first.JourneyID) {
		t.Errorf("marco: first %+v, second %+v; want the second refused while the first journey is active", first, second)
	}
	if marco.Orders.OrdersCount != 2 || marco.Orders.TotalSpent != "170.00" {
		t.Errorf("marco's orders: %+v", marco.Orders)
	}
	b, err := json.Marshal(marco)
	if err != nil || !strings.Contains(string(b), `"orders_count":2`) || !strings.Contains(string(b), `"outcome":"active"`) {
		t.Errorf("JSON %s, %v", b, err)
	}
}

func TestFlowView(t *testing.T) {
	ws := enginetest.Workspace(t, "", map[string]string{"flows/review.yaml": reviewFlow})
	r := enginetest.Start(t, func(t *testing.T) store.Store { return memstore.New() }, ws)
	r.Customer("ana", map[string]any{"email": "ana@example.com", "consent": map[string]any{"email": true}})
	r.Customer("bea", map[string]any{"email": "bea@example.com", "consent": map[string]any{"email": true}})
	r.Play(4*day, enginetest.Ev(0, "order.placed", "ana", order("A1", "60.00")))
	r.Play(5*day, enginetest.Ev(4*day, "order.placed", "bea", order("B1", "60.00")))
	v, err := inspect.Flow(context.Background(), r.Store, ws, "review-request")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Versions) != 1 || v.Versions[0].Version != v.Current {
		t.Fatalf("versions %+v", v.Versions)
	}
	vv := v.Versions[0]
	if vv.Journeys["completed"] != 1 || vv.Journeys["active"] != 1 || len(vv.Waiting) != 1 || vv.Waiting[0].Step != "settle" ||
		vv.Waiting[0].Count != 1 || vv.Waiting[0].NextWake == nil || !vv.Waiting[0].NextWake.Equal(enginetest.T0.Add(7*day)) {
		t.Errorf("version %+v; want ana completed and bea waiting at settle until day 7", vv)
	}
	if v.Messages["sent"]+v.Messages["pending"] != 1 {
		t.Errorf("messages %v", v.Messages)
	}
	var text bytes.Buffer
	if err := v.WriteText(&text); err != nil || !strings.Contains(text.String(), "1 active, 1 completed") ||
		!strings.Contains(text.String(), "settle                    1 waiting, next wakes 2025-10-21T15:00:00Z") {
		t.Errorf("text %q, %v", text.String(), err)
	}
	if _, err := inspect.Flow(context.Background(), r.Store, ws, "nope"); err == nil {
		t.Error("an unknown flow must be an error")
	}
}

// A schedule starts no journey for a customer outside its audience: the audience is evaluated for
// the customer, with the values it read.
func TestScheduleAudience(t *testing.T) {
	ws := enginetest.Workspace(t, "", map[string]string{
		"flows/review.yaml": reviewFlow,
		"flows/news.yaml": `
flow: news
trigger: {schedule: {cron: "0 10 1 * *", timezone: Europe/Rome}, audience: 'customer.orders_count >= 2'}
steps:
  - {id: tell, send: {channel: email, content: {default_locale: en, locales: {en: {subject: "News", text: "News {{ unsubscribe_url }}"}}}}}
`})
	r := enginetest.Start(t, func(t *testing.T) store.Store { return memstore.New() }, ws)
	r.Customer("laura", map[string]any{"email": "laura@example.com"})
	r.Play(day, enginetest.Ev(0, "order.placed", "laura", order("L1", "30.00")))
	v, err := inspect.Customer(context.Background(), r.Store, ws, "laura", inspect.Options{Flow: "news", Now: enginetest.T0.Add(day)})
	if err != nil {
		t.Fatal(err)
	}
	a := v.Flow.Audience
	if a == nil || a.Held || len(a.Reads) != 1 || a.Reads[0].Path != "customer.orders_count" || a.Reads[0].Value != 1 {
		t.Fatalf("audience %+v; want it not to hold, having read orders_count 1", a)
	}
	var text bytes.Buffer
	if err := v.WriteText(&text); err != nil || !strings.Contains(text.String(), "audience customer.orders_count >= 2 does not hold") {
		t.Errorf("text %v:\n%s", err, text.String())
	}
}
