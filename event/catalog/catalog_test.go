package catalog

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/schemas"
)

func ev(t *testing.T, typ, data string) event.Event {
	t.Helper()
	e, err := event.Decode([]byte(`{"specversion":"1.0","id":"1","source":"s","subject":"c","time":"2025-01-01T00:00:00Z","type":"` + typ + `","data":` + data + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEveryCanonicalTypeHasASchema(t *testing.T) {
	got := Canonical().Types()
	if strings.Join(got, ",") != strings.Join(event.CanonicalTypes, ",") {
		t.Fatalf("catalog types %v, event.CanonicalTypes %v", got, event.CanonicalTypes)
	}
	if len(schemas.EventTypes()) != len(got) {
		t.Fatalf("schemas/events holds %v", schemas.EventTypes())
	}
	for _, typ := range event.CanonicalTypes {
		if Canonical().Lookup(typ) == nil {
			t.Errorf("canonical type %s has no schema in schemas/events", typ)
		}
	}
	if len(got) != len(event.CanonicalTypes) {
		t.Errorf("schemas/events holds %d types, event.CanonicalTypes %d", len(got), len(event.CanonicalTypes))
	}
}

func TestSchemaExamplesFit(t *testing.T) {
	for _, name := range Canonical().Types() {
		typ := Canonical().Lookup(name)
		exs, _ := typ.Docs[0]["examples"].([]any)
		if len(exs) == 0 {
			t.Errorf("%s shows no example of its data", name)
		}
		for _, ex := range exs {
			if ps := typ.CheckData(ex.(map[string]any)); len(ps) > 0 {
				t.Errorf("%s: its example does not fit: %v", name, ps)
			}
		}
	}
}

func TestCheckData(t *testing.T) {
	cases := []struct {
		typ, data string
		want      []string // field: message fragment
	}{
		{event.OrderPlaced, `{"order_id":"1","total":"59.90","currency":"PEN","items":[{"sku":"A","quantity":2,"price":"9.90"}],"gift":"yes"}`, nil},
		{event.OrderPlaced, `{"order_id":820982911946154508,"total":59.90,"currency":"PEN"}`, nil},
		{event.OrderPlaced, `{"total":"1.00","currency":"EUR"}`, []string{"data.order_id: is required for order.placed (an id"}},
		{event.OrderPlaced, `{"order_id":"1","total":"abc","currency":"EUR"}`, []string{`data.total: must be a decimal amount: a number, or a decimal string like "59.90", got "abc"`}},
		{event.OrderPlaced, `{"order_id":"1","total":3,"currency":"EUR","items":{}}`, []string{"data.items: must be a list, got an object"}},
		{event.OrderPlaced, `{"order_id":"1","total":3,"currency":"pen"}`, []string{`data.currency: must be an ISO 4217 currency code like "PEN", got "pen"`}},
		{event.OrderPlaced, `{"order_id":"1","total":3,"currency":"PEN","items":[{"price":true,"quantity":1.5}]}`,
			[]string{"data.items[0].price: must be a decimal amount", "data.items[0].quantity: must be a whole number, got 1.5"}},
		{event.OrderPlaced, `{}`, []string{"data.currency: is required", "data.order_id: is required", "data.total: is required"}},
		{event.OrderRefunded, `{"order_id":"1"}`, []string{"data.amount: is required for order.refunded (a decimal amount"}},
		{event.ConsentUpdated, `{"channel":"email","granted":"yes"}`, []string{`data.granted: must be true or false, got "yes"`}},
		{event.ConsentUpdated, `{"channel":"fax","granted":true}`, []string{`data.channel: must be one of email, sms, whatsapp, push, got "fax"`}},
		{event.CheckoutStarted, `{}`, []string{"data.checkout_id: is required"}},
		{event.SurveyAnswered, `{"score":11}`, []string{"data.score: must be at least 0 and at most 10, got 11"}},
		{event.CustomerUpdated, `{"created_at":"yesterday","consent":{"email":"yes"}}`,
			[]string{"data.consent.email: must be true or false or null", `data.created_at: must be a time in RFC 3339`}},
		{event.OrderDelivered, `{"order_id":""}`, []string{"data.order_id: must not be empty"}},
	}
	for _, c := range cases {
		e := ev(t, c.typ, c.data)
		ps := Canonical().Check(&e)
		var got []string
		for _, p := range ps {
			got = append(got, p.Error())
		}
		if len(got) != len(c.want) {
			t.Errorf("%s %s: want %d problems, got %q", c.typ, c.data, len(c.want), got)
			continue
		}
		for i, w := range c.want {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("%s %s: problem %d = %q, want it to start with %q", c.typ, c.data, i, got[i], w)
			}
		}
	}
}

func TestNoDataIsAnEmptyObject(t *testing.T) {
	e := event.Event{SpecVersion: "1.0", ID: "1", Source: "s", Subject: "c", Type: event.CustomerCreated, Time: ev(t, "x.y", "{}").Time}
	if ps := Canonical().Check(&e); len(ps) != 0 {
		t.Errorf("customer.created without data: %v", ps)
	}
	e.Type = event.OrderCancelled
	if ps := Canonical().Check(&e); len(ps) != 1 || ps[0].Field != "data.order_id" {
		t.Errorf("order.cancelled without data: %v", ps)
	}
}

func TestUnknownTypesAreNotChecked(t *testing.T) {
	e := ev(t, "quiz.completed", `{"anything": [1, "two"]}`)
	if ps := Canonical().Check(&e); len(ps) != 0 {
		t.Errorf("a type without a schema got problems: %v", ps)
	}
}

func TestCheckBatchLocatesEachEvent(t *testing.T) {
	evs := []event.Event{ev(t, event.OrderPlaced, `{"order_id":"1","total":1,"currency":"PEN"}`), ev(t, event.OrderPlaced, `{"order_id":"2","currency":"PEN"}`)}
	evs[0].ID = ""
	err := Canonical().CheckBatch(evs)
	var inv *event.Refused
	if !errors.As(err, &inv) || len(inv.Problems) != 2 {
		t.Fatalf("CheckBatch = %v", err)
	}
	if p := inv.Problems[0]; p.Index != 0 || p.Field != "id" {
		t.Errorf("first problem %+v, want event 0's id", p)
	}
	if p := inv.Problems[1]; p.Index != 1 || p.Field != "data.total" {
		t.Errorf("second problem %+v, want event 1's data.total", p)
	}
	if Canonical().CheckBatch(evs[:0]) != nil {
		t.Error("an empty batch has problems")
	}
}

func BenchmarkCheck(b *testing.B) {
	e, err := event.Decode([]byte(`{"specversion":"1.0","id":"shopify/x/order/1/placed","source":"shopify/x","subject":"c","time":"2025-01-01T00:00:00Z","type":"order.placed","data":{"order_id":"820982911946154508","total":"404.95","currency":"USD","subtotal":"398.00","discount_codes":["A"],"tags":[],"order_name":"#1001","items":[{"sku":"A","product_id":"1","name":"Serum","quantity":1,"price":"89.99"},{"sku":"B","product_id":"2","name":"Gel","quantity":2,"price":"19.99"},{"sku":"C","product_id":"3","name":"Cream","quantity":1,"price":"24.99"}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	c := Canonical()
	b.ReportAllocs()
	for b.Loop() {
		if ps := c.Check(&e); len(ps) != 0 {
			b.Fatal(ps)
		}
	}
}

// TestEventsDocIsCurrent keeps docs/events.md what the catalog generates: change the schemas, then
// run `go generate ./event/catalog`.
func TestEventsDocIsCurrent(t *testing.T) {
	want, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Canonical().WriteMarkdown(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("docs/events.md is out of date with schemas/events: run `go generate ./event/catalog` and commit the result")
	}
	for _, typ := range event.CanonicalTypes {
		if !bytes.Contains(want, []byte("\n### "+typ+"\n")) {
			t.Errorf("docs/events.md has no section for %s", typ)
		}
	}
	for _, f := range []string{"`order_id`", "`items[].price`", "`total`", "`amount`", "`granted`", "`score`"} {
		if !bytes.Contains(want, []byte("| "+f+" |")) {
			t.Errorf("docs/events.md lists no field %s", f)
		}
	}
}
