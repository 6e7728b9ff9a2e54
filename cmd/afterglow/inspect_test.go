package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/enginetest"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/inspect"
)

// reviewShop runs a review request through the engine on a real database: Laura's order is
// below the flow's threshold, six other customers' orders are above it and a half of them fall
// in the holdout. It returns the database and who is in the holdout.
func reviewShop(t *testing.T) (url, heldOut string) {
	t.Helper()
	url = migratedSchema(t)
	ws := enginetest.Workspace(t, "", map[string]string{"flows/review.yaml": `
flow: review-request
trigger: {event: order.placed, when: 'event.data.total >= 50'}
holdout: 50%
steps:
  - {id: settle, wait: 3d}
  - {id: ask, send: {channel: email, content: {default_locale: en, locales: {en: {subject: "Review?", text: "Tell us {{ unsubscribe_url }}"}}}}}
`})
	r := enginetest.Start(t, func(t *testing.T) store.Store {
		st, err := pgstore.Open(context.Background(), url, pgstore.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		return st
	}, ws)
	order := func(id, total string) map[string]any {
		return map[string]any{"order_id": id, "total": json.Number(total), "currency": "EUR"}
	}
	consent := map[string]any{"email": true}
	r.Customer("laura", map[string]any{"email": "laura@example.com", "first_name": "Laura", "consent": consent})
	evs := []event.Event{enginetest.Ev(0, "order.placed", "laura", order("L1", "42.50"))}
	for _, id := range []string{"c1", "c2", "c3", "c4", "c5", "c6"} {
		r.Customer(id, map[string]any{"email": id + "@example.com", "consent": consent})
		evs = append(evs, enginetest.Ev(0, "order.placed", id, order(id+"-1", "80")))
	}
	r.Play(4*24*time.Hour, evs...)
	js, err := r.Store.Journeys(context.Background(), store.JourneyFilter{FlowID: "review-request"})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		if j.Holdout {
			heldOut = j.CustomerID
		}
	}
	if heldOut == "" {
		t.Fatal("none of six customers is in a 50% holdout")
	}
	return url, heldOut
}

func TestInspectCustomerSaysWhyNot(t *testing.T) {
	url, heldOut := reviewShop(t)
	t.Chdir(t.TempDir()) // no afterglow.yaml here

	code, out, errs := afterglow(t, "inspect", "customer", "laura", "--flow", "review-request", "--db", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"customer laura",
		"email     granted",
		"orders: 1 counted, total spent 42.50",
		"not entered (when_false)",
		"when event.data.total >= 50 did not hold",
		"event.data.total = 42.5",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the answer lacks %q:\n%s", want, out)
		}
	}

	code, out, errs = afterglow(t, "inspect", "customer", heldOut, "--flow", "review-request", "--db", url, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var v inspect.CustomerView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(v.Flow.Decisions) != 1 || !v.Flow.Decisions[0].Entered || v.Flow.Decisions[0].Arm != "holdout" {
		t.Fatalf("decisions %+v; want the order entered, in the holdout", v.Flow.Decisions)
	}
	if !strings.Contains(v.Flow.Decisions[0].Reason, "holdout") || len(v.Messages) != 1 || v.Messages[0].Status != "skipped" {
		t.Errorf("reason %q, messages %+v; want the holdout named and its message skipped", v.Flow.Decisions[0].Reason, v.Messages)
	}
	if !strings.Contains(out, `"orders_count": 1`) || !strings.Contains(out, `"total_spent": "80.00"`) {
		t.Errorf("the JSON's keys are a contract:\n%s", out)
	}

	if code, _, errs := afterglow(t, "inspect", "customer", "nobody", "--db", url); code != 1 || !strings.Contains(errs, `no customer "nobody"`) {
		t.Errorf("an unknown customer: exit %d, %q", code, errs)
	}
	if code, _, errs := afterglow(t, "inspect", "customer", "laura", "--flow", "nope", "--db", url); code != 1 || !strings.Contains(errs, "nope") {
		t.Errorf("an unknown flow: exit %d, %q", code, errs)
	}
}

func TestInspectFlow(t *testing.T) {
	url, _ := reviewShop(t)
	t.Chdir(t.TempDir())
	code, out, errs := afterglow(t, "inspect", "flow", "review-request", "--db", url, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var v inspect.FlowView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Six journeys ran past their last step; Laura's order started none.
	if len(v.Versions) != 1 || v.Versions[0].Journeys["completed"] != 6 || v.Versions[0].Holdout == 0 || v.Versions[0].Holdout == 6 {
		t.Errorf("versions %+v", v.Versions)
	}
	if v.Messages["skipped"] != v.Versions[0].Holdout || v.Skipped["holdout"] != v.Versions[0].Holdout {
		t.Errorf("messages %v, skipped %v: the holdout's messages are skipped", v.Messages, v.Skipped)
	}
	code, out, _ = afterglow(t, "inspect", "flow", "review-request", "--db", url)
	if code != 0 || !strings.Contains(out, "flow review-request") || !strings.Contains(out, "6 completed") {
		t.Errorf("text, exit %d:\n%s", code, out)
	}
}
